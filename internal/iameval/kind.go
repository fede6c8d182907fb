package iameval

import (
	"errors"
	"fmt"
)

// CheckIdentity reports what makes p unfit to be an identity or session
// policy, as IAM refuses to store one: a statement naming a Principal (the
// evaluator would ignore it, so the Allow would apply to the caller) or
// without a Resource or NotResource.
func (p *Policy) CheckIdentity() error {
	var errs []error
	for i, s := range p.statements {
		if s.principal != nil {
			errs = append(errs, fmt.Errorf("statement %s: an identity policy has no Principal element", label(i, s)))
		}
		if s.resources == nil {
			errs = append(errs, fmt.Errorf("statement %s: an identity policy needs Resource or NotResource", label(i, s)))
		}
	}
	return errors.Join(errs...)
}

// CheckResource reports what makes p unfit to be a resource policy such as a
// role's trust policy: a statement without a Principal (the evaluator would
// skip it, so a Deny in it would not apply).
func (p *Policy) CheckResource() error {
	var errs []error
	for i, s := range p.statements {
		if s.principal == nil {
			errs = append(errs, fmt.Errorf("statement %s: a resource policy needs a Principal element", label(i, s)))
		}
	}
	return errors.Join(errs...)
}

func label(i int, s statement) string {
	if s.sid != "" {
		return fmt.Sprintf("%d (%s)", i+1, s.sid)
	}
	return fmt.Sprint(i + 1)
}
