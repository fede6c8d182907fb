package broker

import (
	"errors"

	"github.com/secds/secds/internal/api"
)

// auditNotebookNotAllowed is what the audit trail records for a notebook
// that exists but is not the person's; they are told CodeNotebookNotFound.
const auditNotebookNotAllowed = "notebook_not_allowed"

// disguised is a refusal whose audit record tells the true reason, where
// telling the user would reveal something (a notebook that exists but is not
// theirs). errors.As finds the refusal itself (an *api.Error) through it.
type disguised struct {
	refusal           *api.Error
	auditCode, reason string
}

func (d *disguised) Error() string { return d.refusal.Error() }
func (d *disguised) Unwrap() error { return d.refusal }

// auditOf is what the audit trail records of err: its code and reason.
func auditOf(err error) (code, reason string) {
	var d *disguised
	if errors.As(err, &d) {
		return d.auditCode, d.reason
	}
	var pr *postureRefusal
	if errors.As(err, &pr) {
		return string(pr.e.Code), "posture"
	}
	e := api.As(err)
	return string(e.Code), e.Message
}
