package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/configs"
)

func TestCheckValidatesTheMapping(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SECDS_OIDC_CLIENT_SECRET", "s")
	t.Setenv("SECDS_SESSION_KEYS", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	cfg := filepath.Join(dir, "broker.yaml")
	if err := os.WriteFile(cfg, []byte("public_url: https://n.example\nmapping_file: teams.yaml\noidc: {issuer: https://idp.example, client_id: c}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(dir, "teams.yaml")

	if err := os.WriteFile(mapping, configs.DevTeams, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--config", cfg, "--check"}, &out, &errOut); code != 0 {
		t.Fatalf("good files: exit %d, %s", code, errOut.String())
	}

	bad := "version: 1\nteams:\n  - name: x\n    match: []\n    role_arn: nope\n"
	if err := os.WriteFile(mapping, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"--config", cfg, "--check"}, &out, &errOut); code == 0 {
		t.Fatal("a broken mapping passed --check")
	}
	for _, want := range []string{mapping + ":4:12: team \"x\" has no match rules", mapping + ":5:15: role_arn \"nope\""} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("missing %q in:\n%s", want, errOut.String())
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{nil, {"--dev", "--config", "x"}, {"--bogus"}} {
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("run(%v) = %d, want 2", args, code)
		}
	}
}
