package cli

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// openURL opens u with command when one is given (--browser-command), else
// with the environment's browser opener.
func (a *App) openURL(u, command string) error {
	if command == "" {
		return a.env.OpenBrowser(u)
	}
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		f := strings.Fields(command)
		if len(f) == 0 {
			return errors.New("the browser command is empty")
		}
		cmd = exec.Command(f[0], append(f[1:], u)...)
	} else {
		// The URL is an argument of the shell, never part of the script, so
		// nothing in it can run as a command.
		cmd = exec.Command("/bin/sh", "-c", command+` "$1"`, "secds-browser", u)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("browser command %q: %w", command, err)
	}
	// A browser started fresh may run until it is closed: wait only long
	// enough to see an immediate failure (command not found).
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("browser command %q: %w", command, err)
		}
	case <-time.After(2 * time.Second):
	}
	return nil
}
