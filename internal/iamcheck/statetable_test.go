package iamcheck_test

import (
	"testing"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iamcheck"
	"github.com/secds/secds/internal/iampolicy"
)

// The shared-state table's statement in the broker policy allows DynamoDB
// actions only, so it changes no decision of the check (which asks IAM
// about AssumeRole and SageMaker calls): the report is the same with and
// without it, and still OK.
func TestStateTableLeavesTheCheckAlone(t *testing.T) {
	m := mapping(t, "teams.yaml", configs.DevTeams)
	with := brokerOpts
	with.Policy.StateTable = "arn:aws:dynamodb:eu-west-1:123456789012:table/secds-state"
	pols, err := iampolicy.Generate(m, "", with.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pols.Broker.Policy.Statement); n != 2 || pols.Broker.Policy.Statement[1].Sid != iampolicy.StateTableSid {
		t.Fatalf("the broker policy under check has no state table statement: %+v", pols.Broker.Policy)
	}
	a, b := check(t, m, brokerOpts), check(t, m, with)
	if !b.OK() {
		t.Fatalf("with the state table statement the check fails: looser %v, stricter %v, trust holes %v", b.Looser, b.Stricter, b.TrustHoles)
	}
	type counts struct{ pairs, requests, bothAllow, bothRefuse, brokerOnly, probes int }
	of := func(r *iamcheck.Report) counts {
		return counts{r.Pairs, r.Requests, r.BothAllow, r.BothRefuse, len(r.BrokerOnly), r.TrustProbes}
	}
	if of(a) != of(b) {
		t.Errorf("the state table statement changed the report: without %+v, with %+v", of(a), of(b))
	}
	for i := range min(len(a.Cases), len(b.Cases)) {
		if a.Cases[i].Decision != b.Cases[i].Decision {
			t.Errorf("%s %s: %v without the table statement, %v with it", b.Cases[i].Request.Action, b.Cases[i].Request.Resource, a.Cases[i].Decision, b.Cases[i].Decision)
		}
	}
}
