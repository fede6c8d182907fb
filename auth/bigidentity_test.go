package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/testutil"
)

// entraMapping excludes terminated staff by a claim and names a few of the
// tenant's groups, as a real Entra ID mapping does (object IDs).
const entraMapping = `
version: 1
admin_groups: [00000000-0000-4000-8000-0000000000ad]
teams:
  - name: fraud
    match:
      - groups: [00000000-0000-4000-8000-00000000f4a0]
      - email_domains: [corp.example]
    exclude:
      - claims: [{path: employment, equals: [terminated]}]
    role_arn: arn:aws:iam::111122223333:role/fraud
`

// entraUser has 500 groups of 36 characters (the fraud group among them),
// the raw groups claim beside them, and a few claims.
func entraUser(employment string, emailVerified, inFraud bool) abac.Identity {
	groups := make([]string, 500)
	raw := make([]any, 500)
	for i := range groups {
		groups[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i+1, i+1)
		raw[i] = groups[i]
	}
	if inFraud {
		groups[0], raw[0] = "00000000-0000-4000-8000-00000000f4a0", "00000000-0000-4000-8000-00000000f4a0"
	}
	return abac.Identity{Subject: "AAAAAAAAAAAAAAAAAAAAAEve", Username: "eve@corp.example", Email: "eve@corp.example", Groups: groups,
		Claims: map[string]any{"groups": raw, "employment": employment, "email_verified": emailVerified, "name": "Eve", "tid": "9188040d-6c67-4c5b-b112-36a304b66dad"}}
}

func entraMap(t *testing.T) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse("teams.yaml", []byte(entraMapping))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func teamsFor(m *abac.Mapping, id abac.Identity) string {
	g, _ := m.Evaluate(id)
	var names []string
	for _, x := range g {
		names = append(names, x.Team)
	}
	return strings.Join(names, ",")
}

// TestLargeIdentitySessionKeepsWhatTheMappingReads: an Entra-sized identity
// fits a browser session once cut down to what the mapping reads, and the
// session decides as the whole identity would: the terminated user and the
// unverified email stay out. Before, the claims were dropped to make the
// cookie fit, and both got in.
func TestLargeIdentitySessionKeepsWhatTheMappingReads(t *testing.T) {
	m := entraMap(t)
	a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: "https://idp.example", ClientID: "broker", RedirectURL: redirectURL,
		Keys: [][]byte{make([]byte, auth.KeySize)}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, employment  string
		verified, inFraud bool
		want              string
	}{
		{"employed", "employed", true, true, "fraud"},
		{"terminated", "terminated", true, true, ""},
		{"in by a verified email", "employed", true, false, "fraud"},
		{"an unverified email", "employed", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := entraUser(tc.employment, tc.verified, tc.inFraud)
			cookie, err := a.SessionCookie(m.Keep(whole))
			if err != nil {
				t.Fatal(err)
			}
			if len(cookie.String()) >= 4096 {
				t.Errorf("session cookie is %d bytes", len(cookie.String()))
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(cookie)
			sess, err := a.Session(req)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Carries(sess.Identity) {
				t.Error("the session does not carry what the mapping reads")
			}
			if got, want := teamsFor(m, sess.Identity), teamsFor(m, whole); got != want || got != tc.want {
				t.Errorf("session gets teams %q, the whole identity %q; want %q", got, want, tc.want)
			}
		})
	}

	t.Run("the whole identity is refused, not trimmed", func(t *testing.T) {
		_, err := a.SessionCookie(entraUser("terminated", true, true))
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != "session_too_large" || !strings.Contains(ae.Message, "platform team") {
			t.Fatalf("SessionCookie of 500 groups = %v; want session_too_large", err)
		}
	})
}

// TestLargeIdentityCLILoginKeepsWhatTheMappingReads: the same through a CLI
// code and token. Before, the code dropped the claims past 2,000 bytes.
func TestLargeIdentityCLILoginKeepsWhatTheMappingReads(t *testing.T) {
	m := entraMap(t)
	verifier := strings.Repeat("v", 43)
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	for _, tc := range []struct {
		name, employment  string
		verified, inFraud bool
		want              string
	}{
		{"employed", "employed", true, true, "fraud"},
		{"terminated", "terminated", true, true, ""},
		{"in by a verified email", "employed", true, false, "fraud"},
		{"an unverified email", "employed", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := entraUser(tc.employment, tc.verified, tc.inFraud)
			code, err := tk.NewCode(m.Keep(whole), auth.S256Challenge(verifier), "")
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := tk.Redeem(context.Background(), code, verifier, "")
			if err != nil {
				t.Fatal(err)
			}
			v, err := tk.Verify(tok.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Carries(v.Identity) {
				t.Errorf("the token does not carry what the mapping reads: kept %q", v.Identity.Kept)
			}
			if got := teamsFor(m, v.Identity); got != tc.want {
				t.Errorf("token gets teams %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("the whole identity is refused, not trimmed", func(t *testing.T) {
		_, err := tk.NewCode(entraUser("terminated", true, true), auth.S256Challenge(verifier), "")
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != "identity_too_large" {
			t.Fatalf("NewCode of 500 groups = %v; want identity_too_large", err)
		}
	})
}

// groupsUser is a terminated user with n groups of 36 characters, listed
// twice as providers send them: as Groups and in the raw groups claim.
func groupsUser(n int) abac.Identity {
	id := entraUser("terminated", true, true)
	id.Groups = id.Groups[:n]
	id.Claims["groups"] = id.Claims["groups"].([]any)[:n]
	return id
}

// TestSessionAndCodeNeverLoseAttributes: whatever the size, a session or a
// CLI login either carries the identity it was given whole or is refused.
// Before, 75 groups made the session drop every claim (employment:
// terminated included) to fit the cookie, and the code did the same.
func TestSessionAndCodeNeverLoseAttributes(t *testing.T) {
	a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: "https://idp.example", ClientID: "broker", RedirectURL: redirectURL,
		Keys: [][]byte{make([]byte, auth.KeySize)}}))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	verifier := strings.Repeat("v", 43)
	same := func(t *testing.T, got, want abac.Identity) {
		t.Helper()
		if len(got.Groups) != len(want.Groups) || len(got.Claims) != len(want.Claims) || got.Claims["employment"] != "terminated" {
			t.Errorf("carried %d groups and claims %v; given %d groups and %d claims", len(got.Groups), got.Claims, len(want.Groups), len(want.Claims))
		}
	}
	for _, n := range []int{0, 10, 30, 50, 75, 120, 500} {
		id := groupsUser(n)
		t.Run(fmt.Sprintf("session with %d groups", n), func(t *testing.T) {
			cookie, err := a.SessionCookie(id)
			var ae *api.Error
			if err != nil {
				if !errors.As(err, &ae) || ae.Code != "session_too_large" {
					t.Fatalf("refusal %v is not session_too_large", err)
				}
				return
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(cookie)
			sess, err := a.Session(req)
			if err != nil {
				t.Fatal(err)
			}
			same(t, sess.Identity, id)
		})
		t.Run(fmt.Sprintf("CLI login with %d groups", n), func(t *testing.T) {
			code, err := tk.NewCode(id, auth.S256Challenge(verifier), "")
			var ae *api.Error
			if err != nil {
				if !errors.As(err, &ae) || ae.Code != "identity_too_large" {
					t.Fatalf("refusal %v is not identity_too_large", err)
				}
				return
			}
			_, got, err := tk.Redeem(context.Background(), code, verifier, "")
			if err != nil {
				t.Fatal(err)
			}
			same(t, got, id)
		})
	}
}
