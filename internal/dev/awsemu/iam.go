package awsemu

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/secds/secds/internal/iameval"
)

// grantor is a caller as IAM sees it when authorizing a request: who it is,
// what it carries (session tags, source identity, session policies) and
// where its identity policies live. A presigned URL keeps the grantor of the
// call that made it, because AWS authorizes every later use of the URL with
// the presigner's policies.
type grantor struct {
	arn            string // the caller: a user ARN or an assumed-role session ARN
	roleARN        string // the role of a session; "" for a long-lived key
	accessKey      string // the long-lived key; "" for a session
	userID         string
	sourceIdentity string
	tags           []Tag
	// session are the session policies passed to AssumeRole; nil when none
	// were (no intersection).
	session []*iameval.Policy
}

func grantorOf(who *caller) grantor {
	g := grantor{arn: who.arn, userID: who.userID, accessKey: who.accessKey}
	if s := who.session; s != nil {
		g.roleARN, g.sourceIdentity, g.tags, g.session = s.roleARN, s.sourceIdentity, slices.Clone(s.tags), s.sessionPolicies
	}
	return g
}

// identityLocked returns the caller's identity policies as they are now: a
// session's are its role's permission policies, a long-lived key's are its
// principal's. A role or key removed since allows nothing. e.mu must be held.
func (e *Emulator) identityLocked(g grantor) []*iameval.Policy {
	if g.roleARN != "" {
		if r, ok := e.roles[g.roleARN]; ok {
			return r.policies
		}
		return nil
	}
	if c, ok := e.credentials[g.accessKey]; ok {
		return c.policies
	}
	return nil
}

// principalContext holds the condition keys AWS derives from the caller.
func (g grantor) principalContext() map[string][]string {
	ctx := map[string][]string{
		"aws:PrincipalAccount": {arnAccount(g.arn)},
		"aws:userid":           {g.userID},
	}
	if g.roleARN != "" {
		// For a role session aws:PrincipalArn is the role's ARN, not the
		// session's.
		ctx["aws:PrincipalArn"] = []string{g.roleARN}
		ctx["aws:PrincipalType"] = []string{"AssumedRole"}
	} else {
		ctx["aws:PrincipalArn"] = []string{g.arn}
		if _, name, ok := strings.Cut(g.arn, ":user/"); ok {
			ctx["aws:username"] = []string{name[strings.LastIndex(name, "/")+1:]}
			ctx["aws:PrincipalType"] = []string{"User"}
		}
	}
	for _, t := range g.tags {
		ctx["aws:PrincipalTag/"+t.Key] = []string{t.Value}
	}
	if g.sourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{g.sourceIdentity}
	}
	return ctx
}

// addResourceTags adds a notebook's tags under both the global and the
// SageMaker-specific condition keys.
func addResourceTags(ctx map[string][]string, tags []Tag) {
	for _, t := range tags {
		ctx["aws:ResourceTag/"+t.Key] = []string{t.Value}
		ctx["sagemaker:ResourceTag/"+t.Key] = []string{t.Value}
	}
}

// check is one action on one resource to authorize.
type check struct {
	action   string
	resource string
	context  map[string][]string // request-specific keys, added to the caller's
	// trust is the role's trust policy for the sts actions; nil for
	// SageMaker, which has no resource policies.
	trust *iameval.Policy
}

// evaluateLocked decides a check for a caller coming from o. e.mu must be
// held.
//
// For sts actions the emulator is stricter than AWS in one case: it always
// requires both the caller's identity policies and the role's trust policy
// to allow, as AWS does across accounts. In the same account AWS waives the
// identity policy when the trust policy names the caller's own ARN; the
// emulator does not, so a principal without a policy can do nothing.
func (e *Emulator) evaluateLocked(g grantor, c check, o origin) iameval.Result {
	ctx := g.principalContext()
	for k, v := range c.context {
		ctx[k] = v
	}
	o.addTo(ctx)
	req := iameval.Request{Principal: g.arn, Role: g.roleARN, Action: c.action, Resource: c.resource, Context: ctx}
	p := iameval.Policies{
		Identity:         e.identityLocked(g),
		Session:          g.session,
		PrincipalAccount: arnAccount(g.arn),
		ResourceAccount:  arnAccount(c.resource),
	}
	if c.trust == nil {
		return iameval.Evaluate(req, p)
	}
	// AWS's own rule first: across accounts both sides must allow; in one
	// account the trust policy must admit the caller (naming the account
	// hands the decision to the caller's identity policies).
	p.Resource = c.trust
	if res := iameval.Evaluate(req, p); res.Decision != iameval.Allow {
		return res
	}
	// Then the emulator's stricter rule: the caller's own identity (and
	// session) policies must allow the call too, as a same-account call
	// without a resource policy.
	return iameval.Evaluate(req, iameval.Policies{Identity: p.Identity, Session: p.Session,
		PrincipalAccount: p.PrincipalAccount, ResourceAccount: p.PrincipalAccount})
}

// authorizeLocked evaluates every check in turn and returns AWS's refusal
// for the first one denied: AccessDenied (403) for STS, AccessDeniedException
// (400) for SageMaker. e.mu must be held.
func (e *Emulator) authorizeLocked(service string, g grantor, o origin, checks ...check) *apiError {
	for _, c := range checks {
		res := e.evaluateLocked(g, c, o)
		if res.Decision == iameval.Allow {
			continue
		}
		return accessDenied(service, g.arn, c.action, c.resource, res)
	}
	return nil
}

// accessDenied words a refusal as AWS does: the principal, the action, the
// resource and why.
func accessDenied(service, principal, action, resource string, res iameval.Result) *apiError {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", principal, action, resource)
	if res.Reason != "" {
		msg += " " + res.Reason
	}
	if service == "sts" {
		return &apiError{http.StatusForbidden, "AccessDenied", msg}
	}
	return &apiError{http.StatusBadRequest, "AccessDeniedException", msg}
}

// notebookARN is the ARN a notebook has, or would have: a missing notebook
// is authorized against it with no tags, so a caller who may not see a
// notebook cannot learn whether it exists.
func (e *Emulator) notebookARN(name string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:notebook-instance/%s", e.region, e.accountID, strings.ToLower(name))
}

// notebookCheck is action on a notebook by name, existing (nb) or not
// (nil): the resource and its tags as IAM sees them.
func (e *Emulator) notebookCheck(action, name string, nb *notebook) check {
	c := check{action: action, resource: e.notebookARN(name), context: map[string][]string{}}
	if nb != nil {
		c.resource = nb.arn
		addResourceTags(c.context, nb.tags)
	}
	return c
}
