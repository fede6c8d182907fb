package broker

import (
	"errors"
	"time"
)

// Kind classifies an error for the layer that shows it; the HTTP layer maps
// each kind to one status code.
type Kind int

// Error kinds.
const (
	KindInternal    Kind = iota // a bug or an unexpected failure
	KindBadRequest              // the request itself is malformed
	KindDenied                  // the identity may not do this
	KindNotFound                // the thing asked for does not exist
	KindConflict                // it exists but is in the wrong state (stopped)
	KindUnavailable             // AWS or a dependency failed; retrying may help
)

// Error is a failure with a message a person can act on. Message never holds
// a secret; the wrapped error is for operators' logs only.
type Error struct {
	Kind       Kind
	Code       string        // stable, machine-readable: no_team, notebook_stopped, ...
	Message    string        // shown to the user
	RetryAfter time.Duration // for KindUnavailable and KindConflict, when known
	Err        error         // the cause, for logs
	// AuditCode and AuditReason, when set, are what the audit trail records
	// instead of Code and Message: the true reason, where telling the user
	// would reveal something (a notebook that exists but is not theirs).
	AuditCode, AuditReason string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err's *Error, or an internal one wrapping it.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Code: "internal", Message: "Something went wrong on our side. Try again; if it keeps happening, tell the platform team the request ID.", Err: err}
}
