//go:build !linux

package e2e

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; Stop still ends
// Hydra when the tests finish normally.
func dieWithParent(*exec.Cmd) {}
