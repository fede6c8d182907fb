package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/internal/testutil"
)

// RequireEnv is the environment variable that turns a missing tool from a
// skip into a failure. The Makefile exports it, so CI cannot go green by
// skipping the end-to-end tests.
const RequireEnv = "SECDS_REQUIRE_E2E"

// Need skips t when err says a tool is missing, or fails it when
// SECDS_REQUIRE_E2E=1. Every end-to-end test goes through here so the rule
// lives in one place.
func Need(t testing.TB, tool string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s is required because %s=1: %v", tool, RequireEnv, err)
	}
	t.Skipf("skipping: %s is not available: %v (make tools builds Hydra; apt-get install chromium; %s=1 turns this skip into a failure)", tool, err, RequireEnv)
}

// HydraBinEnv and ChromiumEnv name the tools explicitly; the Makefile sets
// the first to the cached build in .tools/bin.
const (
	HydraBinEnv = "SECDS_HYDRA_BIN"
	ChromiumEnv = "SECDS_CHROMIUM"
)

// HydraPath finds the Hydra binary: $SECDS_HYDRA_BIN, else .tools/bin/hydra
// at the module root (where make tools puts it).
func HydraPath() (string, error) {
	if p := os.Getenv(HydraBinEnv); p != "" {
		return executable(p)
	}
	root, err := testutil.ModuleRoot()
	if err != nil {
		return "", err
	}
	p, err := executable(filepath.Join(root, ".tools", "bin", "hydra"))
	if err != nil {
		return "", fmt.Errorf("%w (build it with: make tools)", err)
	}
	return p, nil
}

// ChromiumPath finds a Chromium or Chrome binary: $SECDS_CHROMIUM, else the
// usual names on PATH (Debian's package installs chromium).
func ChromiumPath() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return executable(p)
	}
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %s on PATH", strings.Join(names, ", "))
}

func executable(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", p)
	}
	return p, nil
}
