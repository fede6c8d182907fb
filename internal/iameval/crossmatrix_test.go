package iameval_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iameval"
	"github.com/secds/secds/internal/iameval/iamsim"
)

// The matrix cross-check: secds-shaped permission and trust policies, each
// against every combination of a few principals, tags, source addresses and
// identity or session policies. No expected value is written down: the two
// evaluators must simply agree on every case.

const (
	acctA     = "111122223333"
	acctB     = "444455556666"
	brokerArn = "arn:aws:iam::111122223333:user/secds-broker"
	teamRole  = "arn:aws:iam::111122223333:role/secds-team-fraud"
	nbFraud   = "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/fraud-alice"
	presign   = "sagemaker:CreatePresignedNotebookInstanceUrl"
)

type named struct{ name, doc string }

// permissionPolicies are team-role identity policies of the kinds secds
// generates, plus variants that exercise each operator on the same keys.
var permissionPolicies = []named{
	{"team literal and owner variable", `{"Version":"2012-10-17","Statement":[{"Sid":"Presign","Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl","Resource":"arn:aws:sagemaker:*:111122223333:notebook-instance/*","Condition":{"StringEquals":{"sagemaker:ResourceTag/team":"fraud","sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user}"}}}]}`},
	{"team via principal tag", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`},
	{"team like", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:Create*","Resource":"arn:aws:sagemaker:eu-*:*:notebook-instance/fraud-*","Condition":{"StringLike":{"sagemaker:ResourceTag/team":"fr*"}}}]}`},
	{"owner default", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl","Resource":"*","Condition":{"StringEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user, 'alice'}"}}}]}`},
	{"pinned source ip", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}`},
	{"deny outside network", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"},{"Effect":"Deny","Action":"sagemaker:CreatePresigned*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`},
	{"deny outside network if known", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"},{"Effect":"Deny","Action":"sagemaker:CreatePresigned*","Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}]}`},
	{"deny other team", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"sagemaker:ResourceTag/team":"fraud"}}}]}`},
	{"deny untagged", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"sagemaker:ResourceTag/owner":"true"}}}]}`},
	{"not action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"FRAUD"}}}]}`},
	{"not resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","NotResource":"arn:aws:sagemaker:*:*:notebook-instance/risk-*","Condition":{"StringNotLike":{"sagemaker:ResourceTag/owner":"adm-*"}}}]}`},
	{"principal arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/secds-team-*"},"ForAnyValue:StringEquals":{"aws:ResourceTag/team":["fraud","risk"]}}}]}`},
}

// sessionPolicies: none, one that allows the presign, one that does not.
var sessionPolicies = []*named{
	nil,
	{"session presign", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl","Resource":"*","Condition":{"StringEquals":{"sagemaker:ResourceTag/team":"fraud"}}}]}`},
	{"session list only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:List*","Resource":"*"}]}`},
}

// trustPolicies are team-role trust policies: the broker pinned with tags
// and SourceIdentity, the account, a role, a Deny, another account.
var trustPolicies = []named{
	{"broker pinned", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/secds-broker"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/team":"fraud"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]},"Null":{"aws:RequestTag/user":"false"}}}]}`},
	{"account root", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:*","Condition":{"StringEqualsIfExists":{"aws:RequestTag/team":"fraud"}}}]}`},
	{"broker role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/secds-broker"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"t*"}}}]}`},
	{"deny without team", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:user/mallory"]},"Action":["sts:AssumeRole","sts:TagSession"]},{"Effect":"Deny","Principal":"*","Action":"sts:TagSession","Condition":{"StringNotEquals":{"aws:RequestTag/team":["fraud"]}}}]}`},
	{"other account", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/*"}}}]}`},
}

// callerPolicies are the caller's identity policies for sts calls.
var callerPolicies = []named{
	{"no identity policy", ""},
	{"assume the team role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::111122223333:role/secds-team-*"}]}`},
	{"sts star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`},
}

type caller struct{ principal, role string }

var stsCallers = []caller{
	{brokerArn, ""},
	{"arn:aws:sts::111122223333:assumed-role/secds-broker/i-0abc", "arn:aws:iam::111122223333:role/secds-broker"},
	{"arn:aws:iam::444455556666:user/mallory", ""},
}

// choices returns every combination of the given optional values.
func choices(keys []string, options [][]string) []map[string][]string {
	out := []map[string][]string{{}}
	for i, k := range keys {
		var next []map[string][]string
		for _, base := range out {
			for _, o := range options[i] {
				m := map[string][]string{}
				for bk, bv := range base {
					m[bk] = bv
				}
				if o != "-" { // "-" leaves the key out
					m[k] = strings.Split(o, ",")
				}
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}

func mustParse(t testing.TB, doc string) *iameval.Policy {
	t.Helper()
	p, err := iameval.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

type matrixCase struct {
	label string
	iamsim.Case
}

func presignMatrix(t testing.TB) []matrixCase {
	var out []matrixCase
	contexts := choices(
		[]string{"sagemaker:ResourceTag/team", "aws:ResourceTag/team", "sagemaker:ResourceTag/owner", "aws:PrincipalTag/user", "aws:PrincipalTag/team", "aws:SourceIp"},
		[][]string{{"fraud", "risk", "-"}, {"fraud", "-"}, {"alice", "adm-bob", "-"}, {"alice", "-"}, {"fraud", "-"}, {"10.1.2.3", "192.0.2.1", "-"}},
	)
	principal := "arn:aws:sts::111122223333:assumed-role/secds-team-fraud/alice"
	for _, pol := range permissionPolicies {
		p := mustParse(t, pol.doc)
		for _, sp := range sessionPolicies {
			var session []*iameval.Policy
			sname := "no session policy"
			if sp != nil {
				session, sname = []*iameval.Policy{mustParse(t, sp.doc)}, sp.name
			}
			for _, c := range contexts {
				out = append(out, matrixCase{
					label: fmt.Sprintf("%s | %s | %v", pol.name, sname, sortedContext(c)),
					Case: iamsim.Case{
						Request:  iameval.Request{Principal: principal, Role: teamRole, Action: presign, Resource: nbFraud, Context: c},
						Policies: iameval.Policies{Identity: []*iameval.Policy{p}, Session: session, PrincipalAccount: acctA, ResourceAccount: acctA},
					},
				})
			}
		}
	}
	return out
}

func trustMatrix(t testing.TB) []matrixCase {
	var out []matrixCase
	contexts := choices(
		[]string{"aws:RequestTag/team", "aws:RequestTag/user", "aws:TagKeys"},
		[][]string{{"fraud", "risk", "-"}, {"alice", "-"}, {"team,user", "team,admin", "-"}},
	)
	for _, tp := range trustPolicies {
		trust := mustParse(t, tp.doc)
		for _, cp := range callerPolicies {
			var identity []*iameval.Policy
			if cp.doc != "" {
				identity = []*iameval.Policy{mustParse(t, cp.doc)}
			}
			for _, who := range stsCallers {
				for _, action := range []string{"sts:AssumeRole", "sts:TagSession"} {
					for _, c := range contexts {
						c["aws:PrincipalArn"] = []string{who.principal}
						if who.role != "" {
							c["aws:PrincipalArn"] = []string{who.role}
						}
						out = append(out, matrixCase{
							label: fmt.Sprintf("%s | %s | %s | %s | %v", tp.name, cp.name, who.principal, action, sortedContext(c)),
							Case: iamsim.Case{
								Request: iameval.Request{Principal: who.principal, Role: who.role, Action: action, Resource: teamRole, Context: c},
								Policies: iameval.Policies{Identity: identity, Resource: trust,
									PrincipalAccount: strings.Split(who.principal, ":")[4], ResourceAccount: acctA},
							},
						})
					}
				}
			}
		}
	}
	return out
}

func sortedContext(c map[string][]string) string {
	var parts []string
	for k, v := range c {
		parts = append(parts, k+"="+strings.Join(v, ","))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// TestCrossCheckMatrix requires iameval and iam-simulate to agree on every
// combination, and reports how many of each decision the matrix holds so a
// matrix that allows (or denies) everything is visible.
func TestCrossCheckMatrix(t *testing.T) {
	tool := iamsim.Require(t)
	cases := append(presignMatrix(t), trustMatrix(t)...)
	batch := make([]iamsim.Case, len(cases))
	for i, c := range cases {
		batch[i] = c.Case
	}
	theirs, err := tool.Decide(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[iameval.Decision]int{}
	disagree := 0
	for i, c := range cases {
		ours := iameval.Evaluate(c.Request, c.Policies)
		counts[ours.Decision]++
		if ours.Decision != theirs[i] {
			disagree++
			if disagree <= 20 {
				t.Errorf("%s: iameval %v (%s), iam-simulate %v", c.label, ours.Decision, ours.Reason, theirs[i])
			}
		}
	}
	t.Logf("%d cases: %d Allow, %d ExplicitDeny, %d ImplicitDeny; %d disagreements",
		len(cases), counts[iameval.Allow], counts[iameval.ExplicitDeny], counts[iameval.ImplicitDeny], disagree)
	for _, d := range []iameval.Decision{iameval.Allow, iameval.ExplicitDeny, iameval.ImplicitDeny} {
		if counts[d] == 0 {
			t.Errorf("the matrix has no %v case: it would not notice an evaluator stuck on the others", d)
		}
	}
}
