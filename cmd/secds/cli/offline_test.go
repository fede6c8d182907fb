package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/configs"
)

// offline runs the CLI with no broker reachable: a CI job or a git hook,
// stdin no terminal. configured, when set, is a broker the profile names
// (nothing listens there).
func offline(t *testing.T, configured bool, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	home := t.TempDir()
	if configured {
		dir := filepath.Join(home, "config", "secds")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		cfg := "profiles:\n  default:\n    broker: http://127.0.0.1:1\n    cli_login_path: /cli/login\n    token_endpoint: http://127.0.0.1:1/api/v1/cli/token\n    api_base: http://127.0.0.1:1/api/v1\n"
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Keyring: failingKeyring{},
		Getenv: func(k string) string {
			return map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_CACHE_HOME": filepath.Join(home, "cache"), "HOME": home}[k]
		},
		Interactive: func() bool { return false },
	})
	return code, out.String(), errb.String()
}

// badMapping has three mistakes on known lines.
const badMapping = `version: 1
admin_groups: [secds-admins]
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
    role_arn: not-an-arn
    notebooks:
      tags:
        owner: "{{.Username}}"
  - name: fraud
    match:
      - groups: [ds-fraud]
    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud
    notebooks:
      tags:
        owner: "{{.Nope}}"
`

// TestMappingCheckedOffline: a mapping file is checked with no broker (CI,
// a pre-commit hook), by the broker's own validation, mistakes as
// file:line:col; with a broker configured, --offline still needs nothing.
func TestMappingCheckedOffline(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "teams.yaml"), filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, configs.DevTeams, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(badMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("valid, no broker", func(t *testing.T) {
		code, stdout, stderr := offline(t, false, "", "admin", "mapping", "validate", "-f", good)
		if code != ExitOK || stdout != good+": valid\n" || !strings.Contains(stderr, "Checked offline") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("mistakes, no broker", func(t *testing.T) {
		code, _, stderr := offline(t, false, "", "admin", "mapping", "validate", "-f", bad)
		if code != ExitFailure {
			t.Fatalf("exit %d, want %d\n%s", code, ExitFailure, stderr)
		}
		for _, want := range []string{bad + ":7:15: ", bad + ":11:", bad + ":17:"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("no %q in:\n%s", want, stderr)
			}
		}
		if !strings.Contains(stderr, "has 3 mistakes") || strings.Contains(stderr, "no broker is configured") {
			t.Errorf("asks for a broker:\n%s", stderr)
		}
	})
	t.Run("stdin, as from git show :teams.yaml", func(t *testing.T) {
		code, _, stderr := offline(t, false, badMapping, "admin", "mapping", "validate", "--offline", "-f", "-")
		if code != ExitFailure || !strings.Contains(stderr, "<stdin>:7:15: ") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("broker configured, --offline", func(t *testing.T) {
		code, stdout, stderr := offline(t, true, "", "admin", "mapping", "validate", "--offline", "-f", good)
		if code != ExitOK || stdout != good+": valid\n" {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		code, _, stderr = offline(t, true, "", "admin", "mapping", "validate", "--offline", "-f", bad)
		if code != ExitFailure || !strings.Contains(stderr, bad+":7:15: ") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("broker configured, asked too", func(t *testing.T) {
		// The local check passes, then the broker is asked: that needs a
		// login, which a script does not get.
		code, _, stderr := offline(t, true, "", "admin", "mapping", "validate", "-f", good)
		if code != ExitAuth || !strings.Contains(stderr, "secds login") {
			t.Fatalf("exit %d, want %d\n%s", code, ExitAuth, stderr)
		}
		// Mistakes are found before any of that.
		code, _, stderr = offline(t, true, "", "admin", "mapping", "validate", "-f", bad)
		if code != ExitFailure || !strings.Contains(stderr, bad+":7:15: ") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("iam -f", func(t *testing.T) {
		for _, configured := range []bool{false, true} {
			code, stdout, stderr := offline(t, configured, "", "admin", "iam", "--broker-role", "arn:aws:iam::123456789012:role/secds-broker", "--all", "-f", good)
			if code != ExitOK || !strings.Contains(stdout, "secds-team-fraud") {
				t.Fatalf("configured %v: exit %d\n%s", configured, code, stderr)
			}
			code, _, stderr = offline(t, configured, "", "admin", "iam", "--broker-role", "arn:aws:iam::123456789012:role/secds-broker", "--all", "-f", bad)
			if code != ExitFailure || !strings.Contains(stderr, bad+":7:15: ") {
				t.Fatalf("configured %v: exit %d\n%s", configured, code, stderr)
			}
		}
	})
}
