package iameval

import (
	"fmt"
	"strings"
)

// statement-level matching: Action, Resource and Condition (Principal is
// checked by the caller, for resource policies only).
func (s *statement) applies(req Request, ctx reqContext, vars bool) bool {
	return s.matchAction(req.Action) && s.matchResource(req.Resource, ctx, vars) && s.matchConditions(ctx, vars)
}

func (s *statement) matchAction(action string) bool {
	found := false
	for _, a := range s.actions {
		toks, _ := expand(a, false, true, nil)
		if glob(toks, action, true) {
			found = true
			break
		}
	}
	return found != s.notAction
}

// matchResource: a statement without Resource (a trust policy's) applies to
// the resource the request names. A Resource entry whose policy variable
// has no value matches nothing; in NotResource such an entry makes the
// whole statement not apply (AWS: an unresolved variable "might cause the
// entire statement to be invalid"; iam-simulate agrees).
func (s *statement) matchResource(resource string, ctx reqContext, vars bool) bool {
	if s.resources == nil {
		return true
	}
	found := false
	for _, r := range s.resources {
		if r == "*" {
			found = true
			continue
		}
		m, ok := matchARN(r, resource, vars, ctx)
		if !ok && s.notResource {
			return false
		}
		found = found || (ok && m)
	}
	return found != s.notResource
}

func (s *statement) matchConditions(ctx reqContext, vars bool) bool {
	for i := range s.conditions {
		if !s.conditions[i].eval(ctx, vars) {
			return false
		}
	}
	return true
}

// verdict is what one kind of policy says about a request.
type verdict struct {
	deny, allow  bool
	denySid      string
	accountAllow bool // resource policy: allowed only through the caller's account
}

func identityVerdict(policies []*Policy, req Request, ctx reqContext) verdict {
	var v verdict
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.statements {
			s := &p.statements[i]
			if !s.applies(req, ctx, p.variables) {
				continue
			}
			if s.deny {
				if !v.deny {
					v.deny, v.denySid = true, s.sid
				}
			} else {
				v.allow = true
			}
		}
	}
	return v
}

func resourceVerdict(p *Policy, req Request, ctx reqContext, account string) verdict {
	var v verdict
	if p == nil {
		return v
	}
	for i := range p.statements {
		s := &p.statements[i]
		pm := s.principal.match(req, account)
		if pm == noMatch || !s.applies(req, ctx, p.variables) {
			continue
		}
		switch {
		case s.deny:
			// A Deny naming the account denies every principal in it.
			if !v.deny {
				v.deny, v.denySid = true, s.sid
			}
		case pm == directMatch:
			v.allow = true
		default:
			v.accountAllow = true
		}
	}
	return v
}

func evaluate(req Request, p Policies) Result {
	ctx := newContext(req.Context)
	account := arnAccount(req.Principal)
	if account == "" {
		account = p.PrincipalAccount
	}
	principalAccount := p.PrincipalAccount
	if principalAccount == "" {
		principalAccount = account
	}

	id := identityVerdict(p.Identity, req, ctx)
	sess := identityVerdict(p.Session, req, ctx)
	res := resourceVerdict(p.Resource, req, ctx, account)

	deny := func(where, sid string) Result {
		return Result{Decision: ExplicitDeny, Reason: "with an explicit deny in " + where, Sid: sid}
	}
	switch {
	case id.deny:
		return deny("an identity-based policy", id.denySid)
	case sess.deny:
		return deny("a session policy", sess.denySid)
	case res.deny:
		return deny("a resource-based policy", res.denySid)
	}

	noAllow := func(kind string) Result {
		return Result{Decision: ImplicitDeny, Reason: fmt.Sprintf("because no %s allows the %s action", kind, req.Action)}
	}
	// Session policies limit every path, also a resource policy's grant
	// (AWS lets a grant naming the session ARN itself through; this
	// evaluator is stricter there, as is iam-simulate).
	sessionOK := p.Session == nil || sess.allow
	// A role's trust policy must always let the caller in: the caller's
	// identity policy alone never suffices, even in the role's account,
	// unless the trust policy names the account (delegating to IAM).
	trust := p.Resource != nil && strings.HasPrefix(strings.ToLower(req.Action), "sts:")
	sameAccount := p.ResourceAccount == "" || principalAccount == p.ResourceAccount

	if !strings.HasPrefix(req.Principal, "arn:") {
		// A service (or federated provider) has no identity policies: only
		// the resource's policy can let it in.
		if res.allow {
			return Result{Decision: Allow, Reason: "allowed by a resource-based policy"}
		}
		return noAllow("resource-based policy")
	}
	if sameAccount {
		// Either side suffices, except that a trust policy must admit the
		// caller itself or name its account.
		idGrants := id.allow && (!trust || res.accountAllow)
		switch {
		case res.allow && sessionOK:
			return Result{Decision: Allow, Reason: "allowed by a resource-based policy"}
		case idGrants && sessionOK:
			return Result{Decision: Allow, Reason: "allowed by an identity-based policy"}
		case res.allow || idGrants:
			return noAllow("session policy")
		case trust && !res.accountAllow:
			return noAllow("resource-based policy")
		}
		return noAllow("identity-based policy")
	}
	switch {
	case !id.allow:
		return noAllow("identity-based policy")
	case !sessionOK:
		return noAllow("session policy")
	case !res.allow && !res.accountAllow:
		return noAllow("resource-based policy")
	}
	return Result{Decision: Allow, Reason: "allowed by an identity-based policy and a resource-based policy"}
}
