package cli

import (
	"errors"
	"fmt"
)

// Exit codes, stable for scripts.
const (
	ExitOK          = 0
	ExitFailure     = 1 // anything not below
	ExitUsage       = 2 // bad flags or arguments, no profile, an ambiguous request
	ExitAuth        = 3 // not logged in, or the login failed
	ExitDenied      = 4 // the broker refused: not yours, no team, not found, not ready
	ExitUnavailable = 5 // the broker or AWS cannot be reached or failed
	ExitBusy        = 6 // the broker asked to slow down (429), also after one wait; the message says how long
)

// ExitError is an error with the exit code it ends the command with. Its
// message is shown as is, so it names the fix.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exitf returns an ExitError with a formatted message.
func Exitf(code int, format string, args ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, args...)}
}

// exitCode is the code err ends the command with. Errors that carry none
// come from cobra's own parsing (unknown flag, wrong arguments): usage.
func exitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.ExitCode()
	}
	return ExitUsage
}
