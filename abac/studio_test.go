package abac_test

import (
	"testing"

	"github.com/secds/secds/abac"
)

// create_user_profile is off unless the team says so, and reaches the grant.
func TestStudioCreateUserProfileFlag(t *testing.T) {
	m := mustParse(t, `version: 1
teams:
  - name: makers
    match: [{groups: [makers]}]
    role_arn: arn:aws:iam::111122223333:role/makers
    studio: {domain_id: d-abcdefghijkl, user_profile: "{{.Username}}", create_user_profile: true}
  - name: users
    match: [{groups: [users]}]
    role_arn: arn:aws:iam::111122223333:role/users
    studio: {domain_id: d-abcdefghijkl, user_profile: "{{.Username}}"}
`)
	grants, _ := m.Evaluate(abac.Identity{Subject: "s", Username: "ann", Groups: []string{"makers", "users"}})
	if len(grants) != 2 || grants[0].Studio == nil || grants[1].Studio == nil {
		t.Fatalf("grants = %+v", grants)
	}
	if !grants[0].Studio.CreateUserProfile || grants[1].Studio.CreateUserProfile {
		t.Errorf("create_user_profile: makers %v, users %v; want true, false", grants[0].Studio.CreateUserProfile, grants[1].Studio.CreateUserProfile)
	}
}
