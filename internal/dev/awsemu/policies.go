package awsemu

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/secds/secds/internal/iameval"
)

// credential is a seed credential with its principal's identity policies
// parsed.
type credential struct {
	Credential
	policies []*iameval.Policy
}

// role is a seed role with its documents parsed. Sessions look the role up
// at every request, so a policy change applies to sessions already issued,
// as in IAM.
type role struct {
	Role
	trust    *iameval.Policy
	policies []*iameval.Policy
}

// parsePolicies parses named policy documents in name order; an error names
// the policy.
func parsePolicies(docs map[string]string) ([]*iameval.Policy, error) {
	var (
		out  []*iameval.Policy
		errs []error
	)
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		p, err := iameval.Parse([]byte(docs[name]))
		if err == nil {
			err = p.CheckIdentity()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %q: %w", name, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// parseTrust parses a role's trust policy, which every role must have: a
// role nobody may assume is better refused in the seed than found out at
// AssumeRole.
func parseTrust(doc string) (*iameval.Policy, error) {
	if doc == "" {
		return nil, errors.New("required: a role without a trust policy cannot be assumed")
	}
	p, err := iameval.Parse([]byte(doc))
	if err != nil {
		return nil, err
	}
	return p, p.CheckResource()
}

func newRole(r Role) (*role, error) {
	trust, err := parseTrust(r.TrustPolicy)
	if err != nil {
		return nil, fmt.Errorf("role %s trust_policy: %w", r.ARN, err)
	}
	policies, err := parsePolicies(r.Policies)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", r.ARN, err)
	}
	r.Policies = maps.Clone(r.Policies)
	return &role{Role: r, trust: trust, policies: policies}, nil
}

// PutRole creates a role or replaces one (its trust policy, permission
// policies and maximum session duration), as an admin would with
// `aws iam create-role` or `update-assume-role-policy` and `put-role-policy`.
// The documents are parsed first: on an error nothing changes.
func (e *Emulator) PutRole(r Role) error {
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = defaultMaxSession
	}
	if !roleARNPattern.MatchString(r.ARN) {
		return fmt.Errorf("put role %q: not a role ARN like arn:aws:iam::123456789012:role/name", r.ARN)
	}
	if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
		return fmt.Errorf("put role %s: max_session_duration %d: must be 3600..43200 seconds", r.ARN, r.MaxSessionDuration)
	}
	parsed, err := newRole(r)
	if err != nil {
		return fmt.Errorf("put %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.roles[r.ARN] = parsed
	return nil
}

// SetRolePolicies replaces an existing role's trust policy and permission
// policies, keeping its other settings. The change applies to the role's
// sessions and to the URLs they presigned from the next request on, as in
// IAM.
func (e *Emulator) SetRolePolicies(arn, trust string, policies map[string]string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old, ok := e.roles[arn]
	if !ok {
		return fmt.Errorf("set role policies: no role %s", arn)
	}
	r := old.Role
	r.TrustPolicy, r.Policies = trust, policies
	parsed, err := newRole(r)
	if err != nil {
		return fmt.Errorf("set %w", err)
	}
	// One hold of the lock from read to write, so a concurrent change of
	// the role's other settings is not lost.
	e.roles[arn] = parsed
	return nil
}

// SetPrincipalPolicies replaces the identity policies of a seed principal
// (every long-lived key whose Principal is principal), as `aws iam
// put-user-policy` would.
func (e *Emulator) SetPrincipalPolicies(principal string, policies map[string]string) error {
	parsed, err := parsePolicies(policies)
	if err != nil {
		return fmt.Errorf("set policies of %s: %w", principal, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	found := false
	for _, c := range e.credentials {
		if c.Principal == principal {
			c.Policies, c.policies = maps.Clone(policies), parsed
			found = true
		}
	}
	if !found {
		return fmt.Errorf("set policies of %s: no credential has this principal", principal)
	}
	return nil
}

// Role returns a copy of a role as it is now, documents included.
func (e *Emulator) Role(arn string) (Role, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.roles[arn]
	if !ok {
		return Role{}, false
	}
	out := r.Role
	out.Policies = maps.Clone(out.Policies)
	return out, true
}
