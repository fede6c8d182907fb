package iamsim

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/secds/secds/internal/testutil"
)

// DirEnv names the folder holding iam-simulate's node_modules (the Makefile
// sets it to .tools/iamsim); without it the folder is found under the
// module root.
const DirEnv = "SECDS_IAMSIM_DIR"

// RequireEnv turns a missing tool from a skip into a failure; the Makefile
// exports it (the same variable the end-to-end tests honour).
const RequireEnv = "SECDS_REQUIRE_E2E"

// Tool is an installed iam-simulate: node, the script and the modules.
type Tool struct {
	Node, Script, Dir string
}

// Find locates node, tools/iamsim/simulate.mjs and the installed modules,
// saying how to install what is missing.
func Find() (Tool, error) {
	root, err := testutil.ModuleRoot()
	if err != nil {
		return Tool{}, err
	}
	t := Tool{Script: filepath.Join(root, "tools", "iamsim", "simulate.mjs"), Dir: os.Getenv(DirEnv)}
	if t.Dir == "" {
		t.Dir = filepath.Join(root, ".tools", "iamsim")
	}
	if t.Node, err = exec.LookPath("node"); err != nil {
		return Tool{}, fmt.Errorf("node (Node.js) is not on PATH: %w", err)
	}
	if _, err := os.Stat(t.Script); err != nil {
		return Tool{}, fmt.Errorf("find the iam-simulate script: %w", err)
	}
	pkg := filepath.Join(t.Dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return Tool{}, fmt.Errorf("iam-simulate is not installed in %s (run: make iamsim): %w", t.Dir, err)
	}
	return t, nil
}

// Require returns the tool, or skips t when it is missing, or fails t when
// SECDS_REQUIRE_E2E=1.
func Require(t testing.TB) Tool {
	t.Helper()
	tool, err := Find()
	if err == nil {
		return tool
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("iam-simulate is required because %s=1: %v", RequireEnv, err)
	}
	t.Skipf("skipping: iam-simulate is not available: %v (%s=1 turns this skip into a failure)", err, RequireEnv)
	return Tool{}
}
