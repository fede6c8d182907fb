package iamcheck_test

import (
	"strings"
	"testing"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iampolicy"
)

// A team that starts its stopped notebooks (the dev mapping's platform)
// needs StartNotebookInstance on each notebook it opens: the generated
// policy grants it, and a deployed policy without it is found.
func TestCheckFindsAStartIAMWouldRefuse(t *testing.T) {
	m := mapping(t, "teams.yaml", configs.DevTeams)
	if !m.StartsStopped("platform") {
		t.Fatal("the dev mapping's platform team no longer starts notebooks")
	}
	if r := check(t, m, brokerOpts); len(r.Stricter) != 0 {
		t.Fatalf("the generated policies refuse opens the broker makes: %+v", r.Stricter)
	}
	r := tampered(t, m, brokerOpts, func(s *iampolicy.Statement) bool { return s.Sid != "StartTeamNotebooks" })
	if len(r.Stricter) == 0 {
		t.Fatal("a policy without StartNotebookInstance passed the check for a team that starts notebooks")
	}
	for _, p := range r.Stricter {
		if !strings.Contains(p.Why, "team platform's permission policy refuses the start call") {
			t.Errorf("unexpected stricter pair: %+v", p)
		}
	}
}
