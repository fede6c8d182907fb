package iameval

import (
	"strings"
	"testing"
)

const (
	acct      = "111122223333"
	otherAcct = "444455556666"
	user      = "arn:aws:iam::111122223333:user/secds-broker"
	teamRole  = "arn:aws:iam::111122223333:role/secds-team-fraud"
	session   = "arn:aws:sts::111122223333:assumed-role/secds-team-fraud/alice"
	otherUser = "arn:aws:iam::444455556666:user/mallory"
	notebook  = "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/fraud-alice"
	presign   = "sagemaker:CreatePresignedNotebookInstanceUrl"
)

func allowStmt(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func denyStmt(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"NoWay","Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func trustPolicy(principal string, cond string) string {
	if cond == "" {
		cond = "{}"
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":` + cond + `}]}`
}

// evalCase is one request against a set of documents; shared with the
// cross-check against iam-simulate.
type evalCase struct {
	name             string
	identity         []string
	session          []string // nil: no session policy
	noSessionAllowed bool     // a non-nil empty Session list
	resource         string
	req              Request
	resAcct          string
	want             Decision
	reason           string // a part of Result.Reason
}

func (c evalCase) policies(t testing.TB) Policies {
	t.Helper()
	var p Policies
	for _, d := range c.identity {
		p.Identity = append(p.Identity, mustParse(t, d))
	}
	if c.session != nil || c.noSessionAllowed {
		p.Session = []*Policy{}
		for _, d := range c.session {
			p.Session = append(p.Session, mustParse(t, d))
		}
	}
	if c.resource != "" {
		p.Resource = mustParse(t, c.resource)
	}
	p.PrincipalAccount = arnAccount(c.req.Principal)
	p.ResourceAccount = c.resAcct
	return p
}

var evalCases = []evalCase{
	// Actions.
	{name: "action exact", identity: []string{allowStmt(presign, "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "action case-insensitive", identity: []string{allowStmt("SageMaker:createpresignednotebookinstanceurl", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "action wildcard", identity: []string{allowStmt("sagemaker:CreatePresigned*", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "action question mark", identity: []string{allowStmt("sagemaker:Describe?otebookInstance", "*")}, req: Request{Principal: session, Role: teamRole, Action: "sagemaker:DescribeNotebookInstance", Resource: notebook}, want: Allow},
	{name: "action other", identity: []string{allowStmt("sagemaker:Describe*", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny, reason: "because no identity-based policy allows the " + presign + " action"},
	{name: "action star", identity: []string{allowStmt("*", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "NotAction excludes", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"sagemaker:Create*","Resource":"*"}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny},
	{name: "NotAction includes the rest", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},

	// Resources.
	{name: "resource exact", identity: []string{allowStmt(presign, notebook)}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "resource wildcard", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:111122223333:notebook-instance/fraud-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "resource other", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:111122223333:notebook-instance/risk-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny},
	{name: "resource case-sensitive", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:111122223333:notebook-instance/Fraud-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny},
	{name: "resource of another type", identity: []string{allowStmt("sagemaker:*", "arn:aws:sagemaker:*:*:notebook-instance/*")}, req: Request{Principal: session, Role: teamRole, Action: "sagemaker:DescribeDomain", Resource: "arn:aws:sagemaker:eu-west-1:111122223333:domain/d"}, want: ImplicitDeny},
	{name: "NotResource excludes", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","NotResource":"arn:aws:sagemaker:*:*:notebook-instance/fraud-*"}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny},
	{name: "NotResource includes the rest", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","NotResource":"arn:aws:sagemaker:*:*:notebook-instance/risk-*"}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "resource variable", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team}-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook, Context: ctx{"aws:PrincipalTag/team": {"fraud"}}}, want: Allow},
	{name: "resource variable other", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team}-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook, Context: ctx{"aws:PrincipalTag/team": {"risk"}}}, want: ImplicitDeny},
	{name: "resource variable absent", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team}*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny},
	{name: "resource variable default", identity: []string{allowStmt(presign, "arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team, 'fraud'}-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "resource variable with colon", identity: []string{allowStmt("s3:GetObject", "arn:aws:s3:::home/${aws:userid}/*")}, req: Request{Principal: session, Role: teamRole, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/AROAEXAMPLE:alice/f", Context: ctx{"aws:userid": {"AROAEXAMPLE:alice"}}}, want: Allow},
	{name: "NotResource with absent variable", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","NotResource":"arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team}-*"}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny},
	{name: "NotResource with variable", identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","NotResource":"arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team}-*"}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook, Context: ctx{"aws:PrincipalTag/team": {"risk"}}}, want: Allow},
	{name: "deny with absent variable does not apply", identity: []string{allowStmt("sagemaker:*", "*"), denyStmt(presign, "arn:aws:sagemaker:*:*:notebook-instance/${aws:PrincipalTag/team}-*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},

	// Deny wins.
	{name: "identity deny wins", identity: []string{allowStmt("sagemaker:*", "*"), denyStmt(presign, notebook)}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ExplicitDeny, reason: "with an explicit deny in an identity-based policy"},
	{name: "deny elsewhere ignored", identity: []string{allowStmt("sagemaker:*", "*"), denyStmt("sagemaker:Delete*", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "deny under condition", identity: []string{allowStmt("sagemaker:*", "*"), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"sagemaker:ResourceTag/team":"fraud"}}}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook, Context: ctx{"sagemaker:ResourceTag/team": {"risk"}}}, want: ExplicitDeny},
	{name: "deny under condition on absent key", identity: []string{allowStmt("sagemaker:*", "*"), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"sagemaker:ResourceTag/team":"fraud"}}}]}`}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ExplicitDeny},
	{name: "session deny wins", identity: []string{allowStmt("sagemaker:*", "*")}, session: []string{allowStmt("sagemaker:*", "*"), denyStmt(presign, "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ExplicitDeny, reason: "in a session policy"},
	{name: "resource deny wins", identity: []string{allowStmt("sts:AssumeRole", "*")}, resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + user + `"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"Null":{"sts:SourceIdentity":"true"}}}]}`, req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ExplicitDeny, reason: "in a resource-based policy"},

	// Session policies intersect.
	{name: "session allows too", identity: []string{allowStmt("sagemaker:*", "*")}, session: []string{allowStmt(presign, notebook)}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "session allows another", identity: []string{allowStmt("sagemaker:*", "*")}, session: []string{allowStmt("sagemaker:List*", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny, reason: "because no session policy allows"},
	{name: "session alone grants nothing", session: []string{allowStmt("sagemaker:*", "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny, reason: "no identity-based policy"},
	{name: "any session policy allows", identity: []string{allowStmt("sagemaker:*", "*")}, session: []string{allowStmt("sagemaker:List*", "*"), allowStmt(presign, "*")}, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: Allow},
	{name: "empty session list allows nothing", identity: []string{allowStmt("sagemaker:*", "*")}, noSessionAllowed: true, req: Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook}, want: ImplicitDeny, reason: "session policy"},

	// Trust policies (resource policies of roles).
	{name: "trust names user", resource: trustPolicy(`{"AWS":"`+user+`"}`, ""), req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust names another user", resource: trustPolicy(`{"AWS":"arn:aws:iam::111122223333:user/other"}`, ""), identity: []string{allowStmt("sts:AssumeRole", "*")}, req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny, reason: "because no resource-based policy allows the sts:AssumeRole action"},
	{name: "trust names role admits its session", resource: trustPolicy(`{"AWS":"arn:aws:iam::111122223333:role/secds-broker"}`, ""), req: Request{Principal: "arn:aws:sts::111122223333:assumed-role/secds-broker/i-1", Role: "arn:aws:iam::111122223333:role/secds-broker", Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust names session exactly", resource: trustPolicy(`{"AWS":"`+session+`"}`, ""), req: Request{Principal: session, Role: teamRole, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/other"}, resAcct: acct, want: Allow},
	{name: "trust names other session", resource: trustPolicy(`{"AWS":"arn:aws:sts::111122223333:assumed-role/secds-team-fraud/bob"}`, ""), req: Request{Principal: session, Role: teamRole, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/other"}, resAcct: acct, want: ImplicitDeny},
	{name: "trust names account root needs identity", resource: trustPolicy(`{"AWS":"arn:aws:iam::111122223333:root"}`, ""), req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny, reason: "no identity-based policy"},
	{name: "trust names account root with identity", resource: trustPolicy(`{"AWS":"arn:aws:iam::111122223333:root"}`, ""), identity: []string{allowStmt("sts:AssumeRole", teamRole)}, req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust names account id with identity", resource: trustPolicy(`{"AWS":"111122223333"}`, ""), identity: []string{allowStmt("sts:AssumeRole", teamRole)}, req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust names star", resource: trustPolicy(`"*"`, ""), req: Request{Principal: otherUser, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny, reason: "no identity-based policy"},
	{name: "trust names AWS star", resource: trustPolicy(`{"AWS":"*"}`, ""), req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust condition met", resource: trustPolicy(`{"AWS":"`+user+`"}`, `{"StringEquals":{"aws:RequestTag/team":"fraud"},"Null":{"sts:SourceIdentity":"false"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]}}`), req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole, Context: ctx{"aws:RequestTag/team": {"fraud"}, "sts:SourceIdentity": {"alice"}, "aws:TagKeys": {"team", "user"}}}, resAcct: acct, want: Allow},
	{name: "trust without SourceIdentity", resource: trustPolicy(`{"AWS":"`+user+`"}`, `{"StringEquals":{"aws:RequestTag/team":"fraud"},"Null":{"sts:SourceIdentity":"false"}}`), identity: []string{allowStmt("sts:*", "*")}, req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole, Context: ctx{"aws:RequestTag/team": {"fraud"}}}, resAcct: acct, want: ImplicitDeny, reason: "no resource-based policy"},
	{name: "trust with wrong team tag", resource: trustPolicy(`{"AWS":"`+user+`"}`, `{"StringEquals":{"aws:RequestTag/team":"fraud"}}`), identity: []string{allowStmt("sts:*", "*")}, req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole, Context: ctx{"aws:RequestTag/team": {"risk"}}}, resAcct: acct, want: ImplicitDeny},
	{name: "trust with an unlisted tag key", resource: trustPolicy(`{"AWS":"`+user+`"}`, `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]}}`), req: Request{Principal: user, Action: "sts:TagSession", Resource: teamRole, Context: ctx{"aws:TagKeys": {"team", "admin"}}}, resAcct: acct, want: ImplicitDeny},
	{name: "trust names service", resource: trustPolicy(`{"Service":"sagemaker.amazonaws.com"}`, ""), req: Request{Principal: "sagemaker.amazonaws.com", Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust names other service", resource: trustPolicy(`{"Service":"ec2.amazonaws.com"}`, ""), req: Request{Principal: "sagemaker.amazonaws.com", Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny},

	{name: "trust names federated provider", resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/idp.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, req: Request{Principal: "arn:aws:iam::111122223333:oidc-provider/idp.example.com", Action: "sts:AssumeRoleWithWebIdentity", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "trust names other federated provider", resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/other.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, req: Request{Principal: "arn:aws:iam::111122223333:oidc-provider/idp.example.com", Action: "sts:AssumeRoleWithWebIdentity", Resource: teamRole}, resAcct: acct, want: ImplicitDeny},
	{name: "trust lists several principals", resource: trustPolicy(`{"AWS":["arn:aws:iam::111122223333:user/other","`+user+`"],"Service":"sagemaker.amazonaws.com"}`, ""), req: Request{Principal: user, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},

	// Other resource policies, same account: either side suffices.
	{name: "same account resource policy alone", resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + user + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, req: Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, resAcct: acct, want: Allow},
	{name: "same account identity alone", identity: []string{allowStmt("s3:GetObject", "*")}, resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/other"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, req: Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, resAcct: acct, want: Allow},
	{name: "same account root grant needs identity", resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, req: Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, resAcct: acct, want: ImplicitDeny},

	// Cross-account: both sides.
	{name: "cross-account both", identity: []string{allowStmt("sts:AssumeRole", teamRole)}, resource: trustPolicy(`{"AWS":"`+otherUser+`"}`, ""), req: Request{Principal: otherUser, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "cross-account trust only", resource: trustPolicy(`{"AWS":"`+otherUser+`"}`, ""), req: Request{Principal: otherUser, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny, reason: "no identity-based policy"},
	{name: "cross-account identity only", identity: []string{allowStmt("sts:AssumeRole", teamRole)}, resource: trustPolicy(`{"AWS":"`+user+`"}`, ""), req: Request{Principal: otherUser, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny, reason: "no resource-based policy"},
	{name: "cross-account account grant", identity: []string{allowStmt("sts:AssumeRole", teamRole)}, resource: trustPolicy(`{"AWS":"arn:aws:iam::444455556666:root"}`, ""), req: Request{Principal: otherUser, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: Allow},
	{name: "cross-account no resource policy", identity: []string{allowStmt("s3:GetObject", "*")}, req: Request{Principal: otherUser, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, resAcct: acct, want: ImplicitDeny, reason: "no resource-based policy"},
	{name: "cross-account wrong account grant", identity: []string{allowStmt("sts:AssumeRole", teamRole)}, resource: trustPolicy(`{"AWS":"999999999999"}`, ""), req: Request{Principal: otherUser, Action: "sts:AssumeRole", Resource: teamRole}, resAcct: acct, want: ImplicitDeny},

	// Nothing at all.
	{name: "no policies", req: Request{Principal: user, Action: presign, Resource: notebook}, want: ImplicitDeny, reason: "because no identity-based policy allows"},
}

func TestEvaluate(t *testing.T) {
	for _, tc := range evalCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.req, tc.policies(t))
			if got.Decision != tc.want {
				t.Fatalf("got %v (%s), want %v", got.Decision, got.Reason, tc.want)
			}
			if !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", got.Reason, tc.reason)
			}
		})
	}
}

// TestResourceStarStaysInItsField: a * in one ARN field never swallows a
// colon, so an account wildcard cannot reach into the resource field.
func TestResourceStarStaysInItsField(t *testing.T) {
	p := mustParse(t, allowStmt("*", "arn:aws:sagemaker:*:*:notebook-instance/*"))
	for _, tc := range []struct {
		resource string
		want     Decision
	}{
		{"arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/x", Allow},
		{"arn:aws:sagemaker:eu-west-1:111122223333:x:notebook-instance/y", ImplicitDeny},
		{"arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance", ImplicitDeny},
		{"not-an-arn", ImplicitDeny},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			if got := Evaluate(Request{Principal: user, Action: presign, Resource: tc.resource}, Policies{Identity: []*Policy{p}}); got.Decision != tc.want {
				t.Errorf("got %v, want %v", got.Decision, tc.want)
			}
		})
	}
}

func TestDenySid(t *testing.T) {
	p := mustParse(t, denyStmt("*", "*"))
	got := Evaluate(Request{Principal: user, Action: presign, Resource: notebook}, Policies{Identity: []*Policy{p}})
	if got.Decision != ExplicitDeny || got.Sid != "NoWay" {
		t.Errorf("got %+v, want ExplicitDeny by NoWay", got)
	}
}

func TestRequestContextNotModified(t *testing.T) {
	p := mustParse(t, allowWhen(`{"StringEquals":{"aws:PrincipalTag/team":"fraud"}}`))
	c := ctx{"AWS:PrincipalTag/Team": {"fraud"}}
	if got := Evaluate(Request{Principal: user, Action: presign, Resource: notebook, Context: c}, Policies{Identity: []*Policy{p}}); got.Decision != Allow {
		t.Fatalf("got %v", got.Decision)
	}
	if len(c) != 1 || c["AWS:PrincipalTag/Team"][0] != "fraud" {
		t.Errorf("the caller's context changed: %v", c)
	}
}
