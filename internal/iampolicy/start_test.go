package iampolicy_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iameval"
	"github.com/secds/secds/internal/iampolicy"
)

const startAct = "sagemaker:StartNotebookInstance"

// fraudStartsMapping is the dev mapping with start_stopped for team fraud.
func fraudStartsMapping(t testing.TB) *abac.Mapping {
	t.Helper()
	const role = "    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud\n"
	m, err := abac.Parse("teams.yaml", bytes.Replace(configs.DevTeams, []byte(role), []byte(role+"    start_stopped: true\n"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if !m.StartsStopped("fraud") {
		t.Fatal("the edited mapping does not let fraud start notebooks")
	}
	return m
}

// startCases are alice's StartNotebookInstance requests: refused when her
// team does not start notebooks (the dev mapping), allowed on her own
// notebook only when it does. Both evaluators answer them
// (allEvalCases, TestGeneratedPoliciesCrossCheck).
func startCases(t testing.TB) []evalCase {
	t.Helper()
	own := map[string]string{"team": "fraud", "owner": "alice"}
	policy := func(m *abac.Mapping) iameval.Policies {
		ps, err := iampolicy.Generate(m, "fraud", iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/secds-broker"})
		if err != nil {
			t.Fatal(err)
		}
		return iameval.Policies{Identity: []*iameval.Policy{parsePolicy(t, ps.Teams[0].Permissions)}, PrincipalAccount: devAccount, ResourceAccount: devAccount}
	}
	off, on := policy(devMappingTB(t)), policy(fraudStartsMapping(t))
	cases := []evalCase{
		{"a team without start_stopped starts her own notebook", aliceAsks(startAct, nb("fraud-alice"), own), off, iameval.ImplicitDeny},
		{"start her own notebook", aliceAsks(startAct, nb("fraud-alice"), own), on, iameval.Allow},
		{"start carol's notebook", aliceAsks(startAct, nb("fraud-carol"), map[string]string{"team": "fraud", "owner": "carol"}), on, iameval.ExplicitDeny},
		{"start marketing's notebook named for her", aliceAsks(startAct, nb("mkt-alice"), map[string]string{"team": "marketing", "owner": "alice"}), on, iameval.ExplicitDeny},
		{"start an untagged notebook", aliceAsks(startAct, nb("stray"), nil), on, iameval.ExplicitDeny},
		{"stop her own notebook", aliceAsks("sagemaker:StopNotebookInstance", nb("fraud-alice"), own), on, iameval.ImplicitDeny},
	}
	for i := range cases {
		cases[i].name = "start: " + cases[i].name
	}
	return cases
}

// Only a team with start_stopped gets StartNotebookInstance, and its tag
// Denies cover it; the others' policies do not name it at all.
func TestStartIsGrantedOnlyToTeamsThatStart(t *testing.T) {
	opts := iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/secds-broker"}
	names := func(m *abac.Mapping, team string) map[string][]string {
		ps, err := iampolicy.Generate(m, team, opts)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Statement []struct {
				Sid    string
				Action []string
			}
		}
		raw, _ := json.Marshal(ps.Teams[0].Permissions)
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, s := range doc.Statement {
			out[s.Sid] = s.Action
		}
		return out
	}
	on := names(fraudStartsMapping(t), "fraud")
	if a := on["StartTeamNotebooks"]; !slices.Equal(a, []string{startAct}) {
		t.Errorf("StartTeamNotebooks = %v", a)
	}
	for _, sid := range []string{"DenyOtherTeamsNotebooks", "DenyUnlessOwnerTag", "DenyWithoutUserSessionTag"} {
		if !slices.Contains(on[sid], startAct) {
			t.Errorf("%s does not cover %s: %v", sid, startAct, on[sid])
		}
	}
	for sid, actions := range names(devMappingTB(t), "fraud") {
		if slices.Contains(actions, startAct) {
			t.Errorf("a team without start_stopped has %s in %s", startAct, sid)
		}
	}
}

func TestNotesNameTheTeamsThatStart(t *testing.T) {
	opts := iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/secds-broker"}
	ps, err := iampolicy.Generate(fraudStartsMapping(t), "", opts)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range ps.Notes {
		if strings.HasPrefix(n, "Team fraud, platform starts stopped notebooks") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note names the teams that start notebooks: %q", ps.Notes)
	}
	ps, err = iampolicy.Generate(fraudStartsMapping(t), "marketing", opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ps.Notes {
		if strings.Contains(n, "start_stopped") {
			t.Errorf("marketing's notes mention starting: %q", n)
		}
	}
}
