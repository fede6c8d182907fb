package kubernetes

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/internal/testutil"
)

// requireEnv turns a missing tool from a skip into a failure; the Makefile
// exports it (the same switch as the end-to-end tests').
const requireEnv = "SECDS_REQUIRE_E2E"

// kustomizeBinEnv names the kustomize binary; the Makefile sets it to the
// one make tools builds from tools/kustomize into .tools/bin.
const kustomizeBinEnv = "SECDS_KUSTOMIZE_BIN"

// kustomizeCommand is the command that renders a kustomization whose folder
// is appended to it: $SECDS_KUSTOMIZE_BIN, else .tools/bin/kustomize at the
// module root, else kustomize on PATH, each as "kustomize build"; else
// "kubectl kustomize", whose kustomize is whatever kubectl embeds. A fresh
// machine has none of the last two, hence the build.
func kustomizeCommand() ([]string, error) {
	if p := os.Getenv(kustomizeBinEnv); p != "" {
		if err := isExecutable(p); err != nil {
			return nil, fmt.Errorf("%s: %w (make tools builds it)", kustomizeBinEnv, err)
		}
		return []string{p, "build"}, nil
	}
	if root, err := testutil.ModuleRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", "kustomize")
		if isExecutable(p) == nil {
			return []string{p, "build"}, nil
		}
	}
	if p, err := exec.LookPath("kustomize"); err == nil {
		return []string{p, "build"}, nil
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		return []string{p, "kustomize"}, nil
	}
	return nil, fmt.Errorf("no kustomize: %s is unset, .tools/bin/kustomize is not built, and neither kustomize nor kubectl is on PATH (make tools builds it)", kustomizeBinEnv)
}

func isExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// TestKustomizeCommandTakesTheNamedBinary: $SECDS_KUSTOMIZE_BIN wins over
// anything on PATH, and one that names no executable is an error that says
// how to build it rather than a quiet fall back to kubectl's kustomize.
func TestKustomizeCommandTakesTheNamedBinary(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "kustomize")
	plain := filepath.Join(dir, "plain")
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{exe, 0o755}, {plain, 0o644}} {
		if err := os.WriteFile(f.path, []byte("#!/bin/sh\n"), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, bin string
		want      []string // nil: an error
	}{
		{"executable", exe, []string{exe, "build"}},
		{"not executable", plain, nil},
		{"missing", filepath.Join(dir, "missing"), nil},
		{"a folder", dir, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(kustomizeBinEnv, tc.bin)
			got, err := kustomizeCommand()
			if tc.want != nil {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("kustomizeCommand() = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("kustomizeCommand() = %q, want an error", got)
			}
			for _, s := range []string{kustomizeBinEnv, "make tools"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %s", err, s)
				}
			}
		})
	}
}
