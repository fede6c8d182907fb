package iamcheck_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iampolicy"
)

// The Studio check finds holes: a policy whose Studio statements forgot the
// team condition lets a session presign another team's user profile, and
// one that creates profiles without forcing the owner tag lets a session
// create a profile for someone else.
func TestCheckFindsStudioHoles(t *testing.T) {
	m := mapping(t, "teams.yaml", configs.DevTeams)
	for _, tc := range []struct {
		name, sid, key, want string
	}{
		{"presign without the team condition", "", "sagemaker:ResourceTag/team", "presign a user profile of team"},
		{"create without the owner condition", "CreateOwnStudioProfile", "aws:RequestTag/owner", "create the person's user profile tagged for a teammate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tampered(t, m, brokerOpts, func(s *iampolicy.Statement) bool {
				if !slices.ContainsFunc(s.Action, func(a string) bool {
					return strings.Contains(a, "PresignedDomainUrl") || strings.Contains(a, "UserProfile")
				}) {
					return false
				}
				if s.Effect == "Deny" {
					// Without its Deny too: the Allow's condition is the hole.
					s.Action = []string{"sagemaker:ListModels"}
					return true
				}
				if tc.sid != "" && s.Sid != tc.sid {
					return false
				}
				for op, ops := range s.Condition {
					delete(ops, tc.key)
					if len(ops) == 0 {
						delete(s.Condition, op)
					}
				}
				return true
			})
			found := false
			for _, p := range r.Looser {
				found = found || strings.HasPrefix(p.Notebook, "studio:") && strings.Contains(p.Why, tc.want)
			}
			if !found {
				t.Fatalf("the hole is not reported: %v", why(r.Looser))
			}
		})
	}
	if r := check(t, m, brokerOpts); !r.OK() {
		t.Fatalf("the generated policies: looser %v, stricter %v", why(r.Looser), why(r.Stricter))
	}
}
