package devidp_test

import (
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secds/secds/internal/dev/devidp"
)

type idClaims struct {
	Sub               string   `json:"sub"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Groups            []string `json:"groups"`
	AuthTime          int64    `json:"auth_time"`
	CognitoGroups     []string `json:"cognito:groups"`
}

func TestCodeFlow(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		authStyle oauth2.AuthStyle
		username  string
		want      idClaims
	}{
		{
			name: "root issuer, basic auth, alice", path: "", authStyle: oauth2.AuthStyleInHeader, username: "alice",
			want: idClaims{Sub: "dev-alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice Demo", PreferredUsername: "alice", Groups: []string{"ds-fraud"}},
		},
		{
			name: "issuer under /dex, post auth, admin", path: "/dex", authStyle: oauth2.AuthStyleInParams, username: "admin",
			want: idClaims{Sub: "dev-admin", Email: "admin@example.com", EmailVerified: true, Name: "Admin Demo", PreferredUsername: "admin", Groups: []string{"secds-admins"}},
		},
		{
			name: "carol has no groups claim", path: "/dex/", authStyle: oauth2.AuthStyleAutoDetect, username: "carol",
			want: idClaims{Sub: "dev-carol", Email: "carol@example.com", EmailVerified: true, Name: "Carol Demo", PreferredUsername: "carol"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIDP(t, tt.path, nil)
			ti.oauth.Endpoint.AuthStyle = tt.authStyle
			f := newFlow()
			code := ti.login(t, f, tt.username)

			tok, err := ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" {
				t.Fatalf("token type %q, access token empty: %v", tok.TokenType, tok.AccessToken == "")
			}
			idt := ti.verify(t, tok, f.nonce)
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var got idClaims
			if err := idt.Claims(&got); err != nil {
				t.Fatalf("claims: %v", err)
			}
			if got.AuthTime == 0 {
				t.Error("auth_time missing")
			}
			got.AuthTime = 0
			if !equalClaims(got, tt.want) {
				t.Errorf("claims = %+v, want %+v", got, tt.want)
			}

			ui, err := ti.rp.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("UserInfo: %v", err)
			}
			if ui.Subject != tt.want.Sub || ui.Email != tt.want.Email || !ui.EmailVerified {
				t.Errorf("userinfo = %+v", ui)
			}
		})
	}
}

func equalClaims(a, b idClaims) bool {
	return a.Sub == b.Sub && a.Email == b.Email && a.EmailVerified == b.EmailVerified &&
		a.Name == b.Name && a.PreferredUsername == b.PreferredUsername &&
		slices.Equal(a.Groups, b.Groups) && slices.Equal(a.CognitoGroups, b.CognitoGroups)
}

func TestClaimsFollowScopesAndExtra(t *testing.T) {
	cognito := devidp.User{
		Username: "dora", Email: "dora@example.com", Groups: []string{"g1"},
		Extra: map[string]any{"cognito:groups": []string{"ds-fraud", "ds-marketing"}},
	}
	tests := []struct {
		name   string
		scopes []string
		want   idClaims
	}{
		{"openid only: sub and extra", []string{"openid"},
			idClaims{Sub: "dev-dora", CognitoGroups: []string{"ds-fraud", "ds-marketing"}}},
		{"email", []string{"openid", "email"},
			idClaims{Sub: "dev-dora", Email: "dora@example.com", EmailVerified: true, CognitoGroups: []string{"ds-fraud", "ds-marketing"}}},
		{"all", []string{"openid", "email", "profile", "groups", "unknown-scope"},
			idClaims{Sub: "dev-dora", Email: "dora@example.com", EmailVerified: true, PreferredUsername: "dora", Groups: []string{"g1"}, CognitoGroups: []string{"ds-fraud", "ds-marketing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIDP(t, "", func(c *devidp.Config) { c.Users = []devidp.User{cognito} })
			ti.oauth.Scopes = tt.scopes
			f := newFlow()
			tok, err := ti.oauth.Exchange(t.Context(), ti.login(t, f, "dora"), oauth2.VerifierOption(f.verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			var got idClaims
			if err := ti.verify(t, tok, f.nonce).Claims(&got); err != nil {
				t.Fatal(err)
			}
			got.AuthTime = 0
			if !equalClaims(got, tt.want) {
				t.Errorf("claims = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIDTokenFollowsProviderClock(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ti := newTestIDP(t, "", func(c *devidp.Config) {
		c.Now = func() time.Time { return start }
		c.TokenTTL = 30 * time.Minute
	})
	ti.p.Advance(2 * time.Hour)
	f := newFlow()
	tok, err := ti.oauth.Exchange(t.Context(), ti.login(t, f, "bob"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idt := ti.verify(t, tok, f.nonce)
	if want := start.Add(2 * time.Hour); !idt.IssuedAt.Equal(want) {
		t.Errorf("iat = %v, want %v", idt.IssuedAt, want)
	}
	if want := start.Add(2*time.Hour + 30*time.Minute); !idt.Expiry.Equal(want) {
		t.Errorf("exp = %v, want %v", idt.Expiry, want)
	}

	ti.p.Advance(31 * time.Minute)
	raw := tok.Extra("id_token").(string)
	if _, err := ti.rp.Verifier(&oidc.Config{ClientID: testClientID, Now: ti.p.Now}).Verify(t.Context(), raw); err == nil {
		t.Error("ID token still verifies after its TTL")
	}
	if _, err := ti.rp.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepts an expired access token")
	}
}
