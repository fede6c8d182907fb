package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
)

const subjectMapping = `version: 1
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
    exclude:
      - subjects: [dev-alice]
    role_arn: arn:aws:iam::111122223333:role/fraud
  - name: recent
    match:
      - claims: [{path: sub, equals: [dev-alice]}, {path: auth_time, glob: ["1*"]}]
    role_arn: arn:aws:iam::111122223333:role/recent
`

// TestExcludeBySubjectAfterARealSignIn: an identity built from a real ID
// token (the dev provider, go-oidc, x/oauth2) carries what the mapping's
// rules use, so an exclude by subject takes effect, and rules on the sub and
// auth_time claims match, as validation promised.
func TestExcludeBySubjectAfterARealSignIn(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	m, err := abac.Parse("teams.yaml", []byte(subjectMapping))
	if err != nil {
		t.Fatal(err)
	}
	control, err := abac.Parse("teams.yaml", []byte(strings.Replace(subjectMapping, "subjects: [dev-alice]", "subjects: [dev-someone-else]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	authURL, cookie, err := begin(r.a, "/")
	if err != nil {
		t.Fatal(err)
	}
	id, _, _, err := r.a.FinishLogin(ctx, callbackRequest(r.signIn(authURL, "alice"), cookie))
	if err != nil {
		t.Fatal(err)
	}
	// The identity survives the session cookie too.
	sess, err := r.a.SessionCookie(id)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.a.Session(callbackRequest(mustParse(t, redirectURL), sess))
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]abac.Identity{"at sign-in": id, "from the session": s.Identity} {
		if got := teamsFor(control, id); got != "fraud,recent" {
			t.Fatalf("%s, control mapping: teams = %q, want fraud,recent (identity %+v)", name, got, id)
		}
		if got := teamsFor(m, id); got != "recent" {
			t.Fatalf("%s: teams = %q, want recent: the exclude by subject did not take effect", name, got)
		}
	}
	if _, ok := id.Claims["nonce"]; ok {
		t.Error("the nonce was kept in the identity's claims")
	}
}

// TestIdentityKeepsWhatRulesMayUse holds auth and abac to one list: every
// claim abac validates a rule on is kept, every claim it refuses is dropped.
func TestIdentityKeepsWhatRulesMayUse(t *testing.T) {
	claims := map[string]any{"preferred_username": "alice"}
	for _, c := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "nonce", "at_hash", "c_hash", "s_hash",
		"azp", "rat", "auth_time", "acr", "amr", "sid", "email_verified", "department"} {
		claims[c] = "v-" + c
	}
	id, err := auth.IdentityFromClaims(claims, auth.ClaimPaths{})
	if err != nil {
		t.Fatal(err)
	}
	for c := range claims {
		_, kept := id.Claims[c]
		if kept == abac.DroppedClaim(c) {
			t.Errorf("claim %s: kept=%v, but abac.DroppedClaim=%v", c, kept, abac.DroppedClaim(c))
		}
	}
	for _, c := range []string{"sub", "amr", "acr", "auth_time", "sid"} {
		if _, ok := id.Claims[c]; !ok {
			t.Errorf("claim %s is not kept; mapping rules may use it", c)
		}
	}
}
