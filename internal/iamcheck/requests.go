package iamcheck

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker/awsname"
	"github.com/secds/secds/internal/iameval"
)

// region is where the matrix's notebooks live; the generated policies name
// every region, so any one will do.
const region = "us-east-1"

// principal is the broker as IAM sees it.
type principal struct {
	arn     string // the caller's ARN: the user, or the role's session
	role    string // the role ARN when the broker runs as a role
	account string
	user    string // the user name when it runs as an IAM user
}

func newBrokerPrincipal(arn string) principal {
	p := principal{arn: arn, account: arnAccount(arn)}
	resource := arn[strings.LastIndex(arn, ":")+1:]
	switch {
	case strings.HasPrefix(resource, "role/"):
		p.role = arn
		p.arn = "arn:aws:sts::" + p.account + ":assumed-role/" + arn[strings.LastIndex(arn, "/")+1:] + "/secds-broker"
	case strings.HasPrefix(resource, "user/"):
		p.user = arn[strings.LastIndex(arn, "/")+1:]
	}
	return p
}

// roleSession is what the broker asks STS for on a person's behalf.
type roleSession struct {
	name           string // RoleSessionName
	sourceIdentity string // the broker sends the name; "" for none
	tags           map[string]string
	tagKeys        []string
	transitive     []string
}

func newRoleSession(id abac.Identity, g abac.Grant, name string) *roleSession {
	s := &roleSession{name: name, sourceIdentity: name, tags: map[string]string{}, transitive: g.TransitiveTagKeys}
	for _, t := range awsname.SessionTags(id, g) {
		s.tags[t.Key] = t.Value
		s.tagKeys = append(s.tagKeys, t.Key)
	}
	return s
}

// clone copies s for a probe to change.
func (s *roleSession) clone() *roleSession {
	c := *s
	c.tags = maps.Clone(s.tags)
	c.tagKeys = slices.Clone(s.tagKeys)
	c.transitive = slices.Clone(s.transitive)
	return &c
}

// setTag sets (or, with remove, drops) one session tag.
func (s *roleSession) setTag(k, v string, remove bool) {
	s.tagKeys = slices.DeleteFunc(s.tagKeys, func(key string) bool { return key == k })
	delete(s.tags, k)
	if !remove {
		s.tags[k] = v
		s.tagKeys = append(s.tagKeys, k)
	}
}

func principalName(issuer string, id abac.Identity) (string, error) {
	return awsname.PrincipalName(issuer, id.Subject, id.Username)
}

// assume evaluates the broker's AssumeRole of t's role for s.
func (c *checker) assume(r *Report, t *team, s *roleSession) bool {
	return c.assumeAs(r, c.broker, t, s)
}

// assumeAs evaluates an AssumeRole of t's role for s by p: sts:AssumeRole,
// plus sts:TagSession with tags and sts:SetSourceIdentity with a source
// identity, must all be allowed, by p's identity policy (the broker's) and
// the role's trust policy.
func (c *checker) assumeAs(r *Report, p principal, t *team, s *roleSession) bool {
	ctx := map[string][]string{
		"aws:PrincipalArn":     {p.principalARN()},
		"aws:PrincipalAccount": {p.account},
		"sts:RoleSessionName":  {s.name},
	}
	if len(s.tagKeys) > 0 {
		ctx["aws:TagKeys"] = slices.Clone(s.tagKeys)
	}
	if p.user != "" {
		ctx["aws:username"] = []string{p.user}
	}
	if s.sourceIdentity != "" {
		ctx["sts:SourceIdentity"] = []string{s.sourceIdentity}
	}
	for k, v := range s.tags {
		ctx["aws:RequestTag/"+k] = []string{v}
	}
	if len(s.transitive) > 0 {
		ctx["sts:TransitiveTagKeys"] = slices.Clone(s.transitive)
	}
	for k, v := range c.brokerNetwork() {
		ctx[k] = v
	}
	actions := []string{"sts:AssumeRole"}
	if len(s.tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if s.sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	ok := true
	for _, action := range actions {
		req := iameval.Request{Principal: p.arn, Role: p.role, Action: action, Resource: t.roleARN, Context: forAction(action, ctx)}
		pols := iameval.Policies{Identity: []*iameval.Policy{c.brokerPolicy}, Resource: t.trust,
			PrincipalAccount: p.account, ResourceAccount: t.account}
		if !record(r, req, pols) {
			ok = false
		}
	}
	return ok
}

// stsKeys are the service condition keys the Service Authorization
// Reference lists for each action one AssumeRole call is authorized as
// (global aws: keys apply to every action). Whether AWS puts the others in
// an action's context is not documented; the generated trust policy is
// written to hold either way, and the check takes the narrower reading,
// which is also the independent evaluator's.
var stsKeys = map[string][]string{
	"sts:AssumeRole":        {"aws:RequestTag/", "aws:TagKeys", "sts:RoleSessionName", "sts:SourceIdentity", "sts:TransitiveTagKeys"},
	"sts:TagSession":        {"aws:RequestTag/", "aws:TagKeys", "sts:TransitiveTagKeys"},
	"sts:SetSourceIdentity": {"sts:SourceIdentity"},
}

// forAction keeps the keys of ctx that apply to action.
func forAction(action string, ctx map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range ctx {
		keep := strings.HasPrefix(k, "aws:Principal") || k == "aws:SourceIp" || k == "aws:SourceVpce" || k == "aws:username"
		for _, prefix := range stsKeys[action] {
			keep = keep || strings.HasPrefix(k, prefix)
		}
		if keep {
			out[k] = v
		}
	}
	return out
}

// sageMaker evaluates one SageMaker call on nb by t's session s.
func (c *checker) sageMaker(r *Report, t *team, s *roleSession, action string, nb Notebook, from origin) bool {
	allowed := false
	for _, tags := range readings(nb.Tags) {
		if c.sageMakerReading(r, t, s, action, nb.Name, tags, from) {
			allowed = true
		}
	}
	return allowed
}

// sageMakerReading evaluates the call with the notebook's tags as IAM reads
// them in one reading (see readings).
func (c *checker) sageMakerReading(r *Report, t *team, s *roleSession, action, name string, tags map[string]string, from origin) bool {
	roleName := t.roleARN[strings.LastIndex(t.roleARN, "/")+1:]
	ctx := map[string][]string{
		"aws:PrincipalArn":     {t.roleARN},
		"aws:PrincipalAccount": {t.account},
	}
	if s.sourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{s.sourceIdentity}
	}
	for k, v := range s.tags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	for k, v := range tags {
		ctx["aws:ResourceTag/"+k] = []string{v}
		ctx["sagemaker:ResourceTag/"+k] = []string{v}
	}
	for k, v := range from {
		ctx[k] = v
	}
	req := iameval.Request{
		Principal: "arn:aws:sts::" + t.account + ":assumed-role/" + roleName + "/" + s.name,
		Role:      t.roleARN,
		Action:    action,
		Resource:  "arn:aws:sagemaker:" + region + ":" + t.account + ":notebook-instance/" + strings.ToLower(name),
		Context:   ctx,
	}
	pols := iameval.Policies{Identity: []*iameval.Policy{t.permissions}, PrincipalAccount: t.account, ResourceAccount: t.account}
	return record(r, req, pols)
}

// readings are the ways IAM may read a notebook's tags. SageMaker tag keys
// are case-sensitive, so a notebook can carry owner=bob and Owner=alice,
// but IAM condition key names are not: which of the two
// sagemaker:ResourceTag/owner reads is not defined. Each reading keeps one
// key of every such group; a notebook without one has the one reading.
func readings(tags map[string]string) []map[string]string {
	groups := map[string][]string{}
	for k := range tags {
		groups[strings.ToLower(k)] = append(groups[strings.ToLower(k)], k)
	}
	out := []map[string]string{{}}
	for _, lower := range slices.Sorted(maps.Keys(groups)) {
		keys := groups[lower]
		slices.Sort(keys)
		var next []map[string]string
		for _, reading := range out {
			for _, k := range keys {
				r := maps.Clone(reading)
				r[k] = tags[k]
				next = append(next, r)
			}
		}
		out = next
	}
	return out
}

// origin is where a request comes from, as IAM sees it: aws:SourceVpce
// through a VPC endpoint, aws:SourceIp otherwise.
type origin map[string][]string

// elsewhere is a public address in neither the broker's nor the users'
// network: where a leaked URL would be used from.
func (c *checker) elsewhere() origin {
	var nets []netip.Prefix
	for _, cidr := range append(slices.Clone(c.opts.Policy.SourceIPs), c.opts.Policy.UserIPs...) {
		if p, err := netip.ParsePrefix(cidr); err == nil {
			nets = append(nets, p)
		}
	}
	for _, a := range []string{"192.0.2.1", "198.51.100.77", "203.0.113.200", "100.64.0.1", "8.8.4.4"} {
		addr := netip.MustParseAddr(a)
		if !slices.ContainsFunc(nets, func(p netip.Prefix) bool { return p.Contains(addr) }) {
			return origin{"aws:SourceIp": {a}}
		}
	}
	return origin{"aws:SourceIp": {"2001:db8::1"}}
}

// brokerNetwork is where the broker's own calls come from: its VPC
// endpoint, or an address of its egress range, or else a public address.
func (c *checker) brokerNetwork() origin {
	return network(c.opts.Policy.SourceVPCEs, c.opts.Policy.SourceIPs, origin{"aws:SourceIp": {"203.0.113.10"}})
}

// userNetwork is where the users' browsers use a URL from, or nil when
// the options name no users' network.
func (c *checker) userNetwork() origin {
	return network(c.opts.Policy.UserVPCEs, c.opts.Policy.UserIPs, nil)
}

func network(vpces, cidrs []string, otherwise origin) origin {
	switch {
	case len(vpces) > 0:
		return origin{"aws:SourceVpce": {vpces[0]}}
	case len(cidrs) > 0:
		if pfx, err := netip.ParsePrefix(cidrs[0]); err == nil {
			return origin{"aws:SourceIp": {pfx.Masked().Addr().String()}}
		}
	}
	return otherwise
}

func (p principal) principalARN() string {
	if p.role != "" {
		return p.role
	}
	return p.arn
}

func record(r *Report, req iameval.Request, pols iameval.Policies) bool {
	d := iameval.Evaluate(req, pols).Decision
	r.Cases = append(r.Cases, Case{Request: req, Policies: pols, Decision: d})
	return d == iameval.Allow
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
