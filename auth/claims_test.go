package auth_test

import (
	"strings"
	"testing"

	"github.com/secds/secds/auth"
)

// TestUsernameFallsBackOnlyToAVerifiedEmail: without preferred_username the
// email names the person only when the provider says it verified it, or
// anyone could become "bob" by typing bob into their profile's email.
func TestUsernameFallsBackOnlyToAVerifiedEmail(t *testing.T) {
	tests := []struct {
		name     string
		claims   map[string]any
		paths    auth.ClaimPaths
		wantUser string // "" means refused
	}{
		{"verified email", map[string]any{"email": "bob@corp.example", "email_verified": true}, auth.ClaimPaths{}, "bob@corp.example"},
		{"unverified email", map[string]any{"email": "bob", "email_verified": false}, auth.ClaimPaths{}, ""},
		{"verification not stated", map[string]any{"email": "bob"}, auth.ClaimPaths{}, ""},
		{"verified as a string", map[string]any{"email": "bob", "email_verified": "true"}, auth.ClaimPaths{}, ""},
		{"verified as a number", map[string]any{"email": "bob", "email_verified": float64(1)}, auth.ClaimPaths{}, ""},
		{"email from another claim: email_verified is not about it", map[string]any{"mail": "bob", "email_verified": true}, auth.ClaimPaths{Email: "mail"}, ""},
		{"preferred_username wins, verified or not", map[string]any{"preferred_username": "alice", "email": "bob", "email_verified": false}, auth.ClaimPaths{}, "alice"},
		{"an explicit username claim is taken as configured", map[string]any{"email": "bob@corp.example", "email_verified": false}, auth.ClaimPaths{Username: "email"}, "bob@corp.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.claims["sub"] = "s1"
			id, err := auth.IdentityFromClaims(tc.claims, tc.paths)
			if tc.wantUser == "" {
				if err == nil {
					t.Fatalf("accepted as %q", id.Username)
				}
				if !strings.Contains(err.Error(), "oidc.username_claim") {
					t.Errorf("err = %v: it should tell the platform team what to configure", err)
				}
				return
			}
			if err != nil || id.Username != tc.wantUser {
				t.Fatalf("username = %q, %v; want %q", id.Username, err, tc.wantUser)
			}
		})
	}
}
