package broker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
)

// researchTeam is a team whose members have no notebook yet.
const researchTeam = `
  - name: research
    match:
      - groups: [ds-research]
    role_arn: arn:aws:iam::123456789012:role/secds-team-research
    notebooks:
      tags:
        owner: "{{.Username}}"
`

// TestRefusalAdviceFitsTheCase: each refusal says what fits the person's
// case; only the one without a team is told how to join one (the mapping's
// support text), the others are not sent to ask for a team they have.
func TestRefusalAdviceFitsTheCase(t *testing.T) {
	r := newRig(t, append(append([]byte{}, configs.DevTeams...), researchTeam...))
	const support = "Ask the data platform team (#ds-platform) to add you to a team."
	const contact = "the data platform team (#ds-platform)"
	alice := abac.Identity{Subject: "dev-alice", Username: "alice", Groups: []string{"ds-fraud"}}
	bob := abac.Identity{Subject: "dev-bob", Username: "bob", Groups: []string{"ds-marketing"}}
	carol := abac.Identity{Subject: "dev-carol", Username: "carol"}
	dave := abac.Identity{Subject: "dev-dave", Username: "dave", Groups: []string{"ds-research"}}
	for _, tc := range []struct {
		name    string
		who     abac.Identity
		req     broker.OpenRequest
		code    api.Code
		want    []string
		wantNot []string
	}{
		{"not yours: what to open instead", bob, broker.OpenRequest{Notebook: "fraud-alice"}, api.CodeNotebookNotFound,
			[]string{"You have no notebook named fraud-alice", "You can open marketing-bob (team marketing)", "start page"}, []string{support}},
		{"another team: the teams they are in", alice, broker.OpenRequest{Team: "marketing"}, api.CodeTeamNotAllowed,
			[]string{"You are not a member of team marketing", "your team is fraud"}, []string{support}},
		{"a team but no notebook: who creates them", dave, broker.OpenRequest{}, api.CodeNoNotebook,
			[]string{"No notebook is tagged for you yet", "Notebooks are created by the platform team", "ask " + contact + " to create one"}, []string{support}},
		{"a team but no notebook, naming another's", dave, broker.OpenRequest{Notebook: "fraud-alice"}, api.CodeNotebookNotFound,
			[]string{"You have no notebook named fraud-alice", "No notebook is set up for you yet", "ask " + contact + " to create one"}, []string{support}},
		{"stopped: who starts it", alice, broker.OpenRequest{Notebook: "fraud-alice-scratch"}, api.CodeNotebookStopped,
			[]string{"fraud-alice-scratch is stopped", "team fraud does not let secds start its notebooks", "ask " + contact + " to start fraud-alice-scratch", "start_stopped"}, []string{support, "Start it (or"}},
		{"no team: how to join", carol, broker.OpenRequest{}, api.CodeNoTeam,
			[]string{"not in any team", support}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.RequestMeta = meta
			_, err := r.b.Open(context.Background(), tc.who, tc.req)
			e := api.As(err)
			if err == nil || e.Code != tc.code {
				t.Fatalf("open = %v, want %s", err, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message lacks %q:\n%s", w, e.Message)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(e.Message, w) {
					t.Errorf("message has %q, which does not fit:\n%s", w, e.Message)
				}
			}
		})
	}
}

func TestSupportContact(t *testing.T) {
	for support, want := range map[string]string{
		"Ask the data platform team (#ds-platform, platform@corp.example) to add you to a team.": "the data platform team (#ds-platform, platform@corp.example)",
		"Contact #help for access.": "#help",
		"See the wiki.":             "the platform team",
		"":                          "the platform team",
	} {
		m := &abac.Mapping{Support: support}
		if got := broker.SupportContact(m); got != want {
			t.Errorf("SupportContact(%q) = %q, want %q", support, got, want)
		}
	}
	// A support text that names no one readably is kept, not lost.
	if got := broker.CreateAdvice(&abac.Mapping{Support: "See the wiki."}); !strings.Contains(got, "See the wiki.") {
		t.Errorf("CreateAdvice dropped the support text: %q", got)
	}
}
