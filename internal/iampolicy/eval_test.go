package iampolicy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/iameval"
	"github.com/secds/secds/internal/iameval/iamsim"
	"github.com/secds/secds/internal/iampolicy"
)

// The generated documents, parsed by the IAM evaluator and asked the
// questions AWS would be asked: the proof that they say what the shape
// tests read in them.

const (
	devAccount   = "123456789012"
	brokerAcct   = "999988887777"
	brokerSess   = "arn:aws:sts::999988887777:assumed-role/secds-broker/i-0abc"
	fraudRole    = "arn:aws:iam::123456789012:role/secds-team-fraud"
	aliceSession = "arn:aws:sts::123456789012:assumed-role/secds-team-fraud/alice"
	presignAct   = "sagemaker:CreatePresignedNotebookInstanceUrl"
)

func nb(name string) string {
	return "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/" + name
}

// evalCase is one request with the documents that apply to it, and the
// decision AWS must reach.
type evalCase struct {
	name string
	req  iameval.Request
	pol  iameval.Policies
	want iameval.Decision
}

func parsePolicy(t testing.TB, d iampolicy.Document) *iameval.Policy {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := iameval.Parse(b)
	if err != nil {
		t.Fatalf("the evaluator refuses a generated document: %v\n%s", err, b)
	}
	return p
}

// ctx builds a request context from key, value pairs; a key given twice
// gets both values.
func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// aliceAsks is alice's fraud session calling action on a notebook with
// these tags, from a network (extra context pairs).
func aliceAsks(action, resource string, tags map[string]string, network ...string) iameval.Request {
	kv := []string{"aws:PrincipalTag/team", "fraud", "aws:PrincipalTag/user", "alice", "aws:PrincipalTag/cost-center", "cc-1042",
		"aws:PrincipalArn", fraudRole, "aws:PrincipalAccount", devAccount}
	for k, v := range tags {
		kv = append(kv, "sagemaker:ResourceTag/"+k, v, "aws:ResourceTag/"+k, v)
	}
	return iameval.Request{Principal: aliceSession, Role: fraudRole, Action: action, Resource: resource, Context: ctx(append(kv, network...)...)}
}

// permissionCases are alice's requests against the dev mapping's fraud
// permission policy under opts.
func permissionCases(t testing.TB, opts iampolicy.Options, network []string) []evalCase {
	t.Helper()
	m, err := iampolicy.Generate(devMappingTB(t), "fraud", opts)
	if err != nil {
		t.Fatal(err)
	}
	pol := iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, m.Teams[0].Permissions)}, PrincipalAccount: devAccount, ResourceAccount: devAccount}
	own := map[string]string{"team": "fraud", "owner": "alice"}
	cases := []evalCase{
		{"presign her own notebook", aliceAsks(presignAct, nb("fraud-alice"), own, network...), pol, iameval.Allow},
		{"describe her own notebook", aliceAsks("sagemaker:DescribeNotebookInstance", nb("fraud-alice"), own, network...), pol, iameval.Allow},
		{"presign carol's notebook", aliceAsks(presignAct, nb("fraud-carol"), map[string]string{"team": "fraud", "owner": "carol"}, network...), pol, iameval.ExplicitDeny},
		{"describe carol's notebook", aliceAsks("sagemaker:DescribeNotebookInstance", nb("fraud-carol"), map[string]string{"team": "fraud", "owner": "carol"}, network...), pol, iameval.ExplicitDeny},
		{"presign marketing's notebook named for her", aliceAsks(presignAct, nb("mkt-alice"), map[string]string{"team": "marketing", "owner": "alice"}, network...), pol, iameval.ExplicitDeny},
		{"presign a notebook without an owner tag", aliceAsks(presignAct, nb("fraud-shared"), map[string]string{"team": "fraud"}, network...), pol, iameval.ExplicitDeny},
		{"presign an untagged notebook", aliceAsks(presignAct, nb("stray"), nil, network...), pol, iameval.ExplicitDeny},
		{"presign in another account", aliceAsks(presignAct, "arn:aws:sagemaker:eu-west-1:444455556666:notebook-instance/fraud-alice", own, network...), pol, iameval.ImplicitDeny},
		{"list notebooks", aliceAsks("sagemaker:ListNotebookInstances", "*", nil, network...), pol, iameval.Allow},
		{"read carol's notebook's tags", aliceAsks("sagemaker:ListTags", nb("fraud-carol"), map[string]string{"team": "fraud", "owner": "carol"}, network...), pol, iameval.Allow},
		{"read tags of another account's notebook", aliceAsks("sagemaker:ListTags", "arn:aws:sagemaker:eu-west-1:444455556666:notebook-instance/x", nil, network...), pol, iameval.ImplicitDeny},
		{"stop her own notebook", aliceAsks("sagemaker:StopNotebookInstance", nb("fraud-alice"), own, network...), pol, iameval.ImplicitDeny},
		{"open Studio", aliceAsks("sagemaker:CreatePresignedDomainUrl", "arn:aws:sagemaker:eu-west-1:123456789012:user-profile/d-abcdefghijkl/alice", own, network...), pol, iameval.ImplicitDeny},
	}
	for i := range cases {
		cases[i].name = "permissions: " + cases[i].name
	}
	return cases
}

// assumeCall is one AssumeRole call by a principal, as context key, value
// pairs, and whether AWS must let it through.
type assumeCall struct {
	name      string
	principal string
	role      string // the role the calling principal is a session of
	target    string // the team role asked for
	kv        []string
	want      bool
}

// actionKeys are the condition keys the Service Authorization Reference
// lists for each action one AssumeRole call is authorized as; with
// perAction, a request carries only those (iam-simulate's model), else the
// whole call's keys.
var actionKeys = map[string][]string{
	"sts:AssumeRole":        {"aws:RequestTag/", "aws:TagKeys", "sts:RoleSessionName", "sts:SourceIdentity", "sts:TransitiveTagKeys"},
	"sts:TagSession":        {"aws:RequestTag/", "aws:TagKeys", "sts:TransitiveTagKeys"},
	"sts:SetSourceIdentity": {"sts:SourceIdentity"},
}

// requests are the actions AWS authorizes for the call: sts:AssumeRole
// always, sts:TagSession when tags are passed, sts:SetSourceIdentity when
// a source identity is.
func (c assumeCall) requests(perAction bool) []iameval.Request {
	has := func(prefix string) bool {
		for i := 0; i < len(c.kv); i += 2 {
			if strings.HasPrefix(c.kv[i], prefix) {
				return true
			}
		}
		return false
	}
	actions := []string{"sts:AssumeRole"}
	if has("aws:RequestTag/") {
		actions = append(actions, "sts:TagSession")
	}
	if has("sts:SourceIdentity") {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	var out []iameval.Request
	for _, a := range actions {
		var kv []string
		for i := 0; i < len(c.kv); i += 2 {
			keep := !perAction || strings.HasPrefix(c.kv[i], "aws:Principal")
			for _, k := range actionKeys[a] {
				keep = keep || strings.HasPrefix(c.kv[i], k)
			}
			if keep {
				kv = append(kv, c.kv[i], c.kv[i+1])
			}
		}
		out = append(out, iameval.Request{Principal: c.principal, Role: c.role, Action: a, Resource: c.target, Context: ctx(kv...)})
	}
	return out
}

// trustCalls are AssumeRole calls against the fraud role's trust policy
// and the broker's identity policy, across accounts as in production.
func trustCalls(t testing.TB) ([]assumeCall, iameval.Policies) {
	t.Helper()
	ps, err := iampolicy.Generate(devMappingTB(t), "fraud", iampolicy.Options{BrokerPrincipal: broker})
	if err != nil {
		t.Fatal(err)
	}
	pol := iameval.Policies{
		Identity:         []*iameval.Policy{parsePolicy(t, ps.Broker.Policy)},
		Resource:         parsePolicy(t, ps.Teams[0].Trust),
		PrincipalAccount: brokerAcct, ResourceAccount: devAccount,
	}
	// exact is what broker/session.go sends for alice.
	exact := []string{"aws:RequestTag/team", "fraud", "aws:RequestTag/user", "alice", "aws:RequestTag/cost-center", "cc-1042",
		"aws:TagKeys", "team", "aws:TagKeys", "user", "aws:TagKeys", "cost-center",
		"sts:SourceIdentity", "alice", "sts:RoleSessionName", "alice", "aws:PrincipalArn", broker, "aws:PrincipalAccount", brokerAcct}
	without := func(keys ...string) []string {
		var out []string
		for i := 0; i < len(exact); i += 2 {
			if !slices.Contains(keys, exact[i]) {
				out = append(out, exact[i], exact[i+1])
			}
		}
		return out
	}
	replace := func(key, value string) []string { return append(without(key), key, value) }
	call := func(name string, kv []string, want bool) assumeCall {
		return assumeCall{name: name, principal: brokerSess, role: broker, target: fraudRole, kv: kv, want: want}
	}
	calls := []assumeCall{
		call("as the broker sends it", exact, true),
		call("without a source identity", without("sts:SourceIdentity"), false),
		call("with the marketing team tag", replace("aws:RequestTag/team", "marketing"), false),
		call("without a user tag", append(without("aws:RequestTag/user", "aws:TagKeys"), "aws:TagKeys", "team", "aws:TagKeys", "cost-center"), false),
		call("with an extra tag key", append(slices.Clone(exact), "aws:RequestTag/admin", "true", "aws:TagKeys", "admin"), false),
		call("with another cost center", replace("aws:RequestTag/cost-center", "cc-9999"), false),
		call("with transitive keys the team does not set", append(slices.Clone(exact), "sts:TransitiveTagKeys", "team"), false),
		call("without any tag", without("aws:RequestTag/team", "aws:RequestTag/user", "aws:RequestTag/cost-center", "aws:TagKeys"), false),
		{name: "by another principal, with the broker's exact request", principal: "arn:aws:iam::444455556666:user/mallory", target: fraudRole, kv: exact, want: false},
		{name: "of a role the mapping does not name", principal: brokerSess, role: broker, target: "arn:aws:iam::123456789012:role/admin", kv: exact, want: false},
	}
	return calls, pol
}

// assumePolicies are the documents for one call: the caller's identity
// policies only when the caller is the broker, the trust policy only for
// the team role it was generated for.
func assumePolicies(c assumeCall, pol iameval.Policies) iameval.Policies {
	p := iameval.Policies{PrincipalAccount: strings.Split(c.principal, ":")[4], ResourceAccount: devAccount}
	if c.principal == brokerSess {
		p.Identity = pol.Identity
	}
	if c.target == fraudRole {
		p.Resource = pol.Resource
	}
	return p
}

func TestTrustEvaluates(t *testing.T) {
	calls, pol := trustCalls(t)
	for _, perAction := range []bool{false, true} {
		for _, c := range calls {
			t.Run(fmt.Sprintf("%s/per-action=%v", c.name, perAction), func(t *testing.T) {
				allowed := true
				var why []string
				for _, req := range c.requests(perAction) {
					r := iameval.Evaluate(req, assumePolicies(c, pol))
					if r.Decision != iameval.Allow {
						allowed = false
						why = append(why, req.Action+": "+r.Reason)
					}
				}
				if allowed != c.want {
					t.Errorf("allowed = %v, want %v %v", allowed, c.want, why)
				}
			})
		}
	}
}

// pinCases: presign from the broker's endpoint and from a user's address
// is allowed, from anywhere else denied; reads only from the broker's
// endpoint.
func pinCases(t testing.TB) []evalCase {
	opts := iampolicy.Options{BrokerPrincipal: broker, SourceVPCEs: []string{brokerVPCE}, UserIPs: []string{userIP}}
	m, err := iampolicy.Generate(devMappingTB(t), "fraud", opts)
	if err != nil {
		t.Fatal(err)
	}
	pol := iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, m.Teams[0].Permissions)}, PrincipalAccount: devAccount, ResourceAccount: devAccount}
	own := map[string]string{"team": "fraud", "owner": "alice"}
	fromBroker := []string{"aws:SourceVpce", brokerVPCE, "aws:VpcSourceIp", "10.0.1.5"}
	fromUser := []string{"aws:SourceIp", "203.0.113.42"}
	cases := []evalCase{
		{"presign from the broker's endpoint", aliceAsks(presignAct, nb("fraud-alice"), own, fromBroker...), pol, iameval.Allow},
		{"the URL used from a user's address", aliceAsks(presignAct, nb("fraud-alice"), own, fromUser...), pol, iameval.Allow},
		{"the URL used from elsewhere", aliceAsks(presignAct, nb("fraud-alice"), own, "aws:SourceIp", "198.51.100.1"), pol, iameval.ExplicitDeny},
		{"presign through another endpoint", aliceAsks(presignAct, nb("fraud-alice"), own, "aws:SourceVpce", userVPCE), pol, iameval.ExplicitDeny},
		{"carol's notebook from a user's address", aliceAsks(presignAct, nb("fraud-carol"), map[string]string{"team": "fraud", "owner": "carol"}, fromUser...), pol, iameval.ExplicitDeny},
		{"list from the broker's endpoint", aliceAsks("sagemaker:ListNotebookInstances", "*", nil, fromBroker...), pol, iameval.Allow},
		{"list from a user's address", aliceAsks("sagemaker:ListNotebookInstances", "*", nil, fromUser...), pol, iameval.ExplicitDeny},
		{"describe from a user's address", aliceAsks("sagemaker:DescribeNotebookInstance", nb("fraud-alice"), own, fromUser...), pol, iameval.ExplicitDeny},
	}
	for i := range cases {
		cases[i].name = "pinned: " + cases[i].name
	}
	return cases
}

// namesCases: literal notebook names are enforced on the ARN SageMaker
// writes (lower case); a claim tag with no session tag is not, and the
// output says so (TestWholeGrant), so IAM allows what only the broker
// refuses there.
func namesCases(t testing.TB) []evalCase {
	m, err := abac.Parse("t.yaml", inline("", "    notebooks:\n      tags: {project: \"{{.Claims.project}}\"}\n      names: [fraud-shared, Fraud-Big]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := iampolicy.Generate(m, "fraud", iampolicy.Options{BrokerPrincipal: broker})
	if err != nil {
		t.Fatal(err)
	}
	pol := iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, ps.Teams[0].Permissions)}, PrincipalAccount: devAccount, ResourceAccount: devAccount}
	team := map[string]string{"team": "fraud", "project": "x"}
	return []evalCase{
		{"names: presign a named notebook", aliceAsks(presignAct, nb("fraud-shared"), team), pol, iameval.Allow},
		{"names: presign a named notebook with capitals, by its lower-case ARN", aliceAsks(presignAct, nb("fraud-big"), team), pol, iameval.Allow},
		{"names: presign a notebook not named", aliceAsks(presignAct, nb("fraud-other"), team), pol, iameval.ExplicitDeny},
		{"names: a named notebook of another team", aliceAsks(presignAct, nb("fraud-shared"), map[string]string{"team": "marketing"}), pol, iameval.ExplicitDeny},
		{"names: another project, which only the broker checks", aliceAsks(presignAct, nb("fraud-shared"), map[string]string{"team": "fraud", "project": "other"}), pol, iameval.Allow},
	}
}

func allEvalCases(t testing.TB) []evalCase {
	var cases []evalCase
	cases = append(cases, namesCases(t)...)
	cases = append(cases, permissionCases(t, iampolicy.Options{BrokerPrincipal: broker}, nil)...)
	cases = append(cases, pinCases(t)...)
	cases = append(cases, startCases(t)...)
	return cases
}

func TestGeneratedPoliciesEvaluate(t *testing.T) {
	for _, c := range allEvalCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if got := iameval.Evaluate(c.req, c.pol); got.Decision != c.want {
				t.Errorf("decision = %v (%s), want %v", got.Decision, got.Reason, c.want)
			}
		})
	}
}

// TestGeneratedPoliciesCrossCheck asks the independent evaluator,
// iam-simulate, the same questions about the generated documents and
// requires its decisions to agree with the expected ones, so the proof
// does not rest on our own evaluator alone.
func TestGeneratedPoliciesCrossCheck(t *testing.T) {
	tool := iamsim.Require(t)
	cases := allEvalCases(t)
	// Each action of each AssumeRole call, with the keys AWS lists for
	// that action, expected to get what our evaluator decides: the
	// call-level expectations are TestTrustEvaluates's.
	calls, pol := trustCalls(t)
	for _, c := range calls {
		for _, req := range c.requests(true) {
			p := assumePolicies(c, pol)
			cases = append(cases, evalCase{name: "trust: " + c.name + ": " + req.Action, req: req, pol: p, want: iameval.Evaluate(req, p).Decision})
		}
	}
	in := make([]iamsim.Case, len(cases))
	for i, c := range cases {
		in[i] = iamsim.Case{Request: c.req, Policies: c.pol}
	}
	got, err := tool.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		// iam-simulate reports allowed or not; an explicit and an implicit
		// deny may read alike there.
		if (got[i] == iameval.Allow) != (c.want == iameval.Allow) {
			t.Errorf("%s: iam-simulate says %v, want %v", c.name, got[i], c.want)
		}
	}
}

// A session without the principal tag a selector compares with (no user
// tag) passes no tag Deny by itself, since a policy variable with no value
// matches nothing; the Null Deny keeps another policy attached to the role
// from opening any notebook to it.
func TestSessionWithoutUserTagCannotBeWidened(t *testing.T) {
	ps, err := iampolicy.Generate(devMappingTB(t), "fraud", iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/secds-broker"})
	if err != nil {
		t.Fatal(err)
	}
	allowAll, err := iameval.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	pol := iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, ps.Teams[0].Permissions), allowAll}, PrincipalAccount: devAccount, ResourceAccount: devAccount}
	req := iameval.Request{Principal: aliceSession, Role: fraudRole, Action: presignAct, Resource: nb("fraud-carol"),
		Context: ctx("aws:PrincipalTag/team", "fraud", "aws:PrincipalArn", fraudRole, "aws:PrincipalAccount", devAccount,
			"sagemaker:ResourceTag/team", "fraud", "sagemaker:ResourceTag/owner", "carol")}
	if got := iameval.Evaluate(req, pol); got.Decision != iameval.ExplicitDeny {
		t.Fatalf("a session without a user tag presigns carol's notebook: %v (%s)", got.Decision, got.Reason)
	}
	req.Context["aws:PrincipalTag/user"] = []string{"carol"}
	if got := iameval.Evaluate(req, pol); got.Decision != iameval.Allow {
		t.Fatalf("carol's own session is refused: %v (%s)", got.Decision, got.Reason)
	}
}
