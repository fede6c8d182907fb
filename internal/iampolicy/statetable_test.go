package iampolicy_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iameval"
	"github.com/secds/secds/internal/iameval/iamsim"
	"github.com/secds/secds/internal/iampolicy"
)

const (
	stateTable = "arn:aws:dynamodb:eu-west-1:999988887777:table/secds-state"
	brokerRole = "arn:aws:iam::999988887777:role/secds-broker"
)

// TestStateTableStatement: with a state table the broker policy gains one
// statement, exactly DynamoDBActions on exactly the table's ARN; without
// one it has none, whatever team is printed.
func TestStateTableStatement(t *testing.T) {
	for _, team := range []string{"", "fraud"} {
		t.Run("team="+team, func(t *testing.T) {
			d := generate(t, devMapping(t), team, iampolicy.Options{StateTable: stateTable}).Broker.Policy
			if got := d.sids(); !slices.Equal(got, []string{"AssumeTeamRoles", iampolicy.StateTableSid}) {
				t.Fatalf("statements = %v", got)
			}
			s := d.sid(t, iampolicy.StateTableSid)
			if s.Effect != "Allow" || s.Condition != nil || s.Principal != nil || s.NotResource != nil {
				t.Errorf("statement = %+v", s)
			}
			if !slices.Equal(s.Action, iampolicy.DynamoDBActions) {
				t.Errorf("actions = %v, want %v", s.Action, iampolicy.DynamoDBActions)
			}
			if !slices.Equal(s.Resource, []string{stateTable}) {
				t.Errorf("resources = %v, want the table alone (no /index/*, no /stream/*)", s.Resource)
			}
			if sts := d.sid(t, "AssumeTeamRoles"); slices.ContainsFunc(sts.Action, func(a string) bool { return strings.HasPrefix(a, "dynamodb:") }) {
				t.Errorf("the team role statement names DynamoDB: %v", sts.Action)
			}
		})
	}
	if d := generate(t, devMapping(t), "", iampolicy.Options{}).Broker.Policy; d.has(iampolicy.StateTableSid) || len(d.Statement) != 1 {
		t.Errorf("no state table, yet the broker policy is %v", d.sids())
	}
}

// TestStateTableIsNamedInTheNotes: the note on the broker policy names the
// table, and asks for a resource policy when the table is in another
// account than the broker's principal.
func TestStateTableIsNamedInTheNotes(t *testing.T) {
	note := func(opts iampolicy.Options) string {
		t.Helper()
		for _, n := range generate(t, devMapping(t), "", opts).Notes {
			if strings.HasPrefix(n, "The broker policy") {
				return n
			}
		}
		t.Fatal("no note on the broker policy")
		return ""
	}
	if n := note(iampolicy.Options{}); strings.Contains(n, "dynamodb") || !strings.Contains(n, "nothing else") {
		t.Errorf("without a table: %s", n)
	}
	n := note(iampolicy.Options{BrokerPrincipal: brokerRole, StateTable: stateTable})
	if !strings.Contains(n, stateTable) || !strings.Contains(n, "dynamodb:Query") || strings.Contains(n, "resource-based policy") {
		t.Errorf("same account: %s", n)
	}
	n = note(iampolicy.Options{BrokerPrincipal: "arn:aws:iam::111122223333:role/secds-broker", StateTable: stateTable})
	if !strings.Contains(n, "resource-based policy") || !strings.Contains(n, "999988887777") {
		t.Errorf("another account: %s", n)
	}
}

func TestStateTableOptionIsChecked(t *testing.T) {
	for _, tc := range []struct{ table, msg string }{
		{"secds-state", "give the table's ARN, arn:aws:dynamodb:REGION:ACCOUNT:table/NAME"},
		{"arn:aws:dynamodb:eu-west-1:999988887777:table/secds-state/index/by-owner", "names a part of a table"},
		{"arn:aws:dynamodb:eu-west-1:999988887777:table/secds-state/stream/2026-01-01T00:00:00.000", "names a part of a table"},
		{"arn:aws:dynamodb:eu-west-1:999988887777:table/*", "wildcard"},
		{"arn:aws:dynamodb:eu-west-1:999988887777:table/secds-*", "wildcard"},
		{"arn:aws:dynamodb:*:999988887777:table/secds-state", "wildcard"},
		{"arn:aws:dynamodb:eu-west-1:9999888877:table/secds-state", "not a DynamoDB table ARN"},
		{"arn:aws:dynamodb::999988887777:table/secds-state", "not a DynamoDB table ARN"},
		{"arn:aws:s3:::secds-state", "not a DynamoDB table ARN"},
		{"arn:aws:dynamodb:eu-west-1:999988887777:table/ab", "not a DynamoDB table ARN"},
		{"arn:aws-cn:dynamodb:cn-north-1:999988887777:table/secds-state", "IAM cannot grant across partitions"},
	} {
		t.Run(tc.table, func(t *testing.T) {
			_, err := iampolicy.Generate(devMapping(t), "", iampolicy.Options{BrokerPrincipal: brokerRole, StateTable: tc.table})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %q", err, tc.msg)
			}
		})
	}
	for _, ok := range []string{stateTable, "arn:aws-us-gov:dynamodb:us-gov-west-1:999988887777:table/Secds_State.v2"} {
		principal := brokerRole
		if strings.HasPrefix(ok, "arn:aws-us-gov:") {
			principal = "arn:aws-us-gov:iam::999988887777:role/secds-broker"
		}
		if _, err := iampolicy.BrokerIdentity(devMapping(t), iampolicy.Options{BrokerPrincipal: principal, StateTable: ok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// stateTableCases are the broker's own DynamoDB calls against its identity
// policy: each action it needs on the table is allowed; any other action,
// and the same actions on any other table or on the table's indexes and
// streams, are not. A team session gets nothing on the table.
func stateTableCases(t testing.TB) []evalCase {
	t.Helper()
	ps, err := iampolicy.Generate(devMappingTB(t), "fraud", iampolicy.Options{BrokerPrincipal: brokerRole, StateTable: stateTable})
	if err != nil {
		t.Fatal(err)
	}
	broker := iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, ps.Broker.Policy)}, PrincipalAccount: brokerAcct, ResourceAccount: brokerAcct}
	asks := func(action, resource string) iameval.Request {
		return iameval.Request{Principal: brokerSess, Role: brokerRole, Action: action, Resource: resource,
			Context: ctx("aws:PrincipalArn", brokerRole, "aws:PrincipalAccount", brokerAcct)}
	}
	var cases []evalCase
	for _, a := range iampolicy.DynamoDBActions {
		cases = append(cases,
			evalCase{"state table: " + a + " on the table", asks(a, stateTable), broker, iameval.Allow},
			evalCase{"state table: " + a + " on another table", asks(a, "arn:aws:dynamodb:eu-west-1:999988887777:table/payments"), broker, iameval.ImplicitDeny},
			evalCase{"state table: " + a + " on a table whose name starts alike", asks(a, stateTable+"-old"), broker, iameval.ImplicitDeny},
			evalCase{"state table: " + a + " on the table in another region", asks(a, "arn:aws:dynamodb:us-east-1:999988887777:table/secds-state"), broker, iameval.ImplicitDeny},
		)
	}
	for _, a := range []string{"dynamodb:Query", "dynamodb:DescribeTable"} {
		cases = append(cases, evalCase{"state table: " + a + " on an index of the table", asks(a, stateTable+"/index/x"), broker, iameval.ImplicitDeny})
	}
	for _, a := range []string{"dynamodb:DescribeStream", "dynamodb:GetRecords"} {
		cases = append(cases, evalCase{"state table: " + a + " on the table's stream", asks(a, stateTable+"/stream/2026-01-01T00:00:00.000"), broker, iameval.ImplicitDeny})
	}
	for _, a := range []string{"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:DeleteTable", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem",
		"dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive", "dynamodb:RestoreTableToPointInTime", "dynamodb:PutResourcePolicy", "dynamodb:PartiQLSelect"} {
		cases = append(cases, evalCase{"state table: " + a + " on the table", asks(a, stateTable), broker, iameval.ImplicitDeny})
	}
	// alice's team session, with the fraud role's permission policy: the
	// broker's table is none of hers.
	team := iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, ps.Teams[0].Permissions)}, PrincipalAccount: devAccount, ResourceAccount: brokerAcct}
	cases = append(cases, evalCase{"state table: a team session reads it", aliceAsks("dynamodb:GetItem", stateTable, nil), team, iameval.ImplicitDeny})
	return cases
}

func TestStateTableEvaluates(t *testing.T) {
	for _, c := range stateTableCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if got := iameval.Evaluate(c.req, c.pol); got.Decision != c.want {
				t.Errorf("decision = %v (%s), want %v", got.Decision, got.Reason, c.want)
			}
		})
	}
}

// TestStateTableCrossCheck asks iam-simulate the same questions.
func TestStateTableCrossCheck(t *testing.T) {
	tool := iamsim.Require(t)
	cases := stateTableCases(t)
	in := make([]iamsim.Case, len(cases))
	for i, c := range cases {
		in[i] = iamsim.Case{Request: c.req, Policies: c.pol}
	}
	got, err := tool.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if (got[i] == iameval.Allow) != (c.want == iameval.Allow) {
			t.Errorf("%s: iam-simulate says %v, want %v", c.name, got[i], c.want)
		}
	}
}
