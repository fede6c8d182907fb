package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the process when the test binary
// dies, so a test run that times out (go test panics and exits) leaves no
// Hydra behind holding its ports. chromedp does the same for Chromium.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
