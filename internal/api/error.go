package api

import (
	"errors"
	"math"
	"net/http"
	"time"
)

// Kind classifies a refusal; the HTTP layer answers each kind with one
// status (Status).
type Kind int

// Error kinds. The zero value is KindInternal, so a refusal that forgot its
// kind is a 500, never a quiet success.
const (
	KindInternal             Kind = iota // a bug or an unexpected failure
	KindBadRequest                       // the request itself is malformed, or a sign-in round trip failed
	KindUnauthenticated                  // no valid credential: sign in (again)
	KindForbidden                        // the identity may not do this
	KindNotFound                         // the thing asked for does not exist
	KindConflict                         // it exists but is in the wrong state (stopped, read-only)
	KindPreconditionFailed               // the version a change was based on is not the current one
	KindTooLarge                         // the request body is too large
	KindInvalid                          // well-formed but wrong content (a mapping with mistakes)
	KindPreconditionRequired             // a change must name the version it is based on
	KindThrottled                        // too many requests; retry after a while
	KindNotConfigured                    // this broker is not set up for the feature
	KindUnavailable                      // AWS, the identity provider or a store failed; retrying may help
)

var kindStatus = [...]int{
	KindInternal:             http.StatusInternalServerError,
	KindBadRequest:           http.StatusBadRequest,
	KindUnauthenticated:      http.StatusUnauthorized,
	KindForbidden:            http.StatusForbidden,
	KindNotFound:             http.StatusNotFound,
	KindConflict:             http.StatusConflict,
	KindPreconditionFailed:   http.StatusPreconditionFailed,
	KindTooLarge:             http.StatusRequestEntityTooLarge,
	KindInvalid:              http.StatusUnprocessableEntity,
	KindPreconditionRequired: http.StatusPreconditionRequired,
	KindThrottled:            http.StatusTooManyRequests,
	KindNotConfigured:        http.StatusNotImplemented,
	KindUnavailable:          http.StatusServiceUnavailable,
}

// Status is the HTTP status a refusal of kind k is answered with.
func (k Kind) Status() int {
	if k < 0 || int(k) >= len(kindStatus) {
		return http.StatusInternalServerError
	}
	return kindStatus[k]
}

// Error is a refusal with a message a person can act on. Message never holds
// a secret or quotes a token; the wrapped error is for operators' logs only.
type Error struct {
	Kind       Kind
	Code       Code
	Message    string        // shown to the user
	RetryAfter time.Duration // when retrying later may help and the wait is known
	Err        error         // the cause, for logs
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Title is the heading of the page that shows e: its code's title; for a
// failed sign-in, whether the identity provider or the attempt failed; else
// its status's sentence (StatusTitle).
func (e *Error) Title() string {
	switch t := e.Code.Title(); {
	case e.Code.SignIn() && e.Kind == KindUnavailable:
		return CodeIdPUnavailable.Title()
	case t != "":
		return t
	}
	return StatusTitle(e.Kind.Status())
}

// RetryAfterSeconds is RetryAfter as the Retry-After header's whole seconds,
// rounded up; 0 when no wait is known.
func (e *Error) RetryAfterSeconds() int {
	if e.RetryAfter <= 0 {
		return 0
	}
	return int(math.Max(1, math.Ceil(e.RetryAfter.Seconds())))
}

// internalMessage is what a person sees of an unexpected failure.
const internalMessage = "Something went wrong on our side. Try again; if it keeps happening, tell the platform team the request ID."

// As returns err's *Error, or an internal one wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Code: CodeInternal, Message: internalMessage, Err: err}
}
