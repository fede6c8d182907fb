package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/testutil"
)

// evilIdP is an OpenID provider that answers the token request with whatever
// ID token the test mints, so each of the relying-party checks of OpenID
// Connect Core §3.1.3.7 can be hit on purpose.
type evilIdP struct {
	t         *testing.T
	srv       *httptest.Server
	key, key2 *rsa.PrivateKey
	mu        sync.Mutex
	token     string
	publish2  bool // whether the rotated-in key k2 is in the JWKS
	rotated   bool // the JWKS holds k2 only: k1 was rotated out
	jwksDown  bool
	jwksHits  atomic.Int64
}

func newEvilIdP(t *testing.T) *evilIdP {
	e := &evilIdP{t: t}
	e.key, _ = rsa.GenerateKey(rand.Reader, 2048)
	e.key2, _ = rsa.GenerateKey(rand.Reader, 2048)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": e.srv.URL, "authorization_endpoint": e.srv.URL + "/auth", "token_endpoint": e.srv.URL + "/token",
			"jwks_uri": e.srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256", "HS256", "none"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		e.jwksHits.Add(1)
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.jwksDown {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &e.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
		if e.rotated {
			set.Keys = nil
		}
		if e.publish2 || e.rotated {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &e.key2.PublicKey, KeyID: "k2", Algorithm: "RS256", Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": e.token})
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *evilIdP) claims(nonce string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": e.srv.URL, "sub": "u1", "aud": "broker", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"nonce": nonce, "preferred_username": "alice", "email": "alice@example.com", "groups": []string{"ds-fraud"}}
}

func (e *evilIdP) sign(alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	e.t.Helper()
	payload, _ := json.Marshal(claims)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		e.t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := obj.CompactSerialize()
	return raw
}

func (e *evilIdP) authenticator(now func() time.Time) *auth.Authenticator {
	a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: e.srv.URL, ClientID: "broker", ClientSecret: "x", RedirectURL: redirectURL,
		Keys: [][]byte{key(9)}, Now: now}))
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// login runs one round trip in which the provider answers with the token mint
// makes for the login's nonce.
func (e *evilIdP) login(a *auth.Authenticator, mint func(nonce string) string) error {
	e.t.Helper()
	return e.loginWith(a, mint, nil)
}

// loginWith is login with extra parameters on the authorization response.
func (e *evilIdP) loginWith(a *auth.Authenticator, mint func(nonce string) string, extra url.Values) error {
	e.t.Helper()
	authURL, cookie, err := begin(a, "/")
	if err != nil {
		e.t.Fatal(err)
	}
	q := mustParse(e.t, authURL).Query()
	e.mu.Lock()
	e.token = mint(q.Get("nonce"))
	e.mu.Unlock()
	params := url.Values{"code": {"c"}, "state": {q.Get("state")}}
	for k, v := range extra {
		params[k] = v
	}
	cb := mustParse(e.t, redirectURL+"?"+params.Encode())
	_, _, _, err = a.FinishLogin(context.Background(), callbackRequest(cb, cookie))
	return err
}

func TestForgedAndWrongIDTokensAreRefused(t *testing.T) {
	e := newEvilIdP(t)
	pubDER, _ := x509.MarshalPKIXPublicKey(&e.key.PublicKey)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	with := func(change func(c map[string]any)) func(string) string {
		return func(nonce string) string {
			c := e.claims(nonce)
			change(c)
			return e.sign(jose.RS256, e.key, "k1", c)
		}
	}
	tests := []struct {
		name string
		mint func(nonce string) string
		code string
	}{
		{"bad signature (another key, same kid)", func(n string) string { return e.sign(jose.RS256, other, "k1", e.claims(n)) }, "id_token_invalid"},
		{"alg none", func(n string) string {
			p, _ := json.Marshal(e.claims(n))
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
		}, "id_token_invalid"},
		{"HS256 keyed with the public key", func(n string) string { return e.sign(jose.HS256, pubDER, "k1", e.claims(n)) }, "id_token_invalid"},
		{"JWS JSON serialisation instead of compact", func(n string) string {
			payload, _ := json.Marshal(e.claims(n))
			s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: e.key, KeyID: "k1"}}, nil)
			obj, _ := s.Sign(payload)
			return obj.FullSerialize()
		}, "id_token_invalid"},
		{"unknown kid", func(n string) string { return e.sign(jose.RS256, e.key2, "k2", e.claims(n)) }, "id_token_invalid"},
		{"wrong issuer", with(func(c map[string]any) { c["iss"] = "https://evil.example" }), "id_token_invalid"},
		{"wrong audience", with(func(c map[string]any) { c["aud"] = "other-client" }), "id_token_invalid"},
		{"token for another client of the provider", with(func(c map[string]any) { c["aud"] = []string{"other-client"}; c["azp"] = "other-client" }), "id_token_invalid"},
		{"several audiences, no azp", with(func(c map[string]any) { c["aud"] = []string{"broker", "other-client"} }), "id_token_invalid"},
		{"several audiences, wrong azp", with(func(c map[string]any) { c["aud"] = []string{"broker", "other-client"}; c["azp"] = "other-client" }), "id_token_invalid"},
		{"expired", with(func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }), "id_token_invalid"},
		{"issued in the future beyond the leeway", with(func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }), "id_token_invalid"},
		{"exp as a string", with(func(c map[string]any) { c["exp"] = strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) }), "id_token_invalid"},
		{"iat as a string", with(func(c map[string]any) { c["iat"] = strconv.FormatInt(time.Now().Unix(), 10) }), "id_token_invalid"},
		{"nbf as a string", with(func(c map[string]any) { c["nbf"] = strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10) }), "id_token_invalid"},
		{"auth_time as a string", with(func(c map[string]any) { c["auth_time"] = strconv.FormatInt(time.Now().Unix(), 10) }), "id_token_invalid"},
		{"auth_time null", with(func(c map[string]any) { c["auth_time"] = nil }), "id_token_invalid"},
		{"no iat", with(func(c map[string]any) { delete(c, "iat") }), "id_token_invalid"},
		{"larger than the bound", with(func(c map[string]any) { c["padding"] = strings.Repeat("a", auth.MaxIDTokenBytes) }), "id_token_too_large"},
		{"missing nonce", with(func(c map[string]any) { delete(c, "nonce") }), "nonce_mismatch"},
		{"wrong nonce", with(func(c map[string]any) { c["nonce"] = "replayed-from-elsewhere" }), "nonce_mismatch"},
		{"no preferred_username, unverified email", with(func(c map[string]any) {
			delete(c, "preferred_username")
			c["email"], c["email_verified"] = "bob", false
		}), "claims_missing"},
		{"missing sub", with(func(c map[string]any) { delete(c, "sub") }), "claims_missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.login(e.authenticator(nil), tc.mint)
			var ae *api.Error
			if !errors.As(err, &ae) || string(ae.Code) != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	t.Run("control: a well-formed token is accepted", func(t *testing.T) {
		if err := e.login(e.authenticator(nil), with(func(map[string]any) {})); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("control: numeric times, including fractional ones, are accepted", func(t *testing.T) {
		if err := e.login(e.authenticator(nil), with(func(c map[string]any) {
			c["nbf"], c["auth_time"] = float64(time.Now().Unix())-0.5, time.Now().Unix()
		})); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("control: an Entra ID-sized token (500 group object IDs) is accepted", func(t *testing.T) {
		if err := e.login(e.authenticator(nil), with(func(c map[string]any) {
			groups := make([]string, 500)
			for i := range groups {
				groups[i] = fmt.Sprintf("%08x-4b1c-4d2e-9f3a-%012x", i, i*7919)
			}
			c["groups"] = groups
			c["name"], c["oid"], c["tid"] = "Alice Example-Longname", "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
		})); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("control: expiry within the leeway is accepted", func(t *testing.T) {
		if err := e.login(e.authenticator(nil), with(func(c map[string]any) { c["exp"] = time.Now().Add(-20 * time.Second).Unix() })); err != nil {
			t.Fatal(err)
		}
	})
}

func TestForgedTokensCostTheProviderNothing(t *testing.T) {
	e := newEvilIdP(t)
	clock := time.Now()
	a := e.authenticator(func() time.Time { return clock })
	good := func(n string) string { return e.sign(jose.RS256, e.key, "k1", e.claims(n)) }
	if err := e.login(a, good); err != nil {
		t.Fatal(err)
	}
	before := e.jwksHits.Load()
	forged := func(n string) string { return e.sign(jose.RS256, e.key2, "k-unknown", e.claims(n)) }
	for i := 0; i < 1000; i++ {
		if err := e.login(a, forged); err == nil {
			t.Fatal("a forged token was accepted")
		}
	}
	if n := e.jwksHits.Load() - before; n > 2 {
		t.Fatalf("1,000 forged tokens caused %d JWKS fetches, want at most 2", n)
	}

	// Bad signatures under the known key never refetch, however much time
	// passes.
	clock = clock.Add(10 * time.Second)
	before = e.jwksHits.Load()
	for i := 0; i < 100; i++ {
		if err := e.login(a, func(n string) string { return e.sign(jose.RS256, e.key2, "k1", e.claims(n)) }); err == nil {
			t.Fatal("a token signed with the wrong key under k1 was accepted")
		}
	}
	if n := e.jwksHits.Load() - before; n != 0 {
		t.Fatalf("bad signatures under a known key caused %d JWKS fetches", n)
	}

	t.Run("a key rotated in is picked up after the interval", func(t *testing.T) {
		e.mu.Lock()
		e.publish2 = true
		e.mu.Unlock()
		clock = clock.Add(6 * time.Second)
		if err := e.login(a, func(n string) string { return e.sign(jose.RS256, e.key2, "k2", e.claims(n)) }); err != nil {
			t.Fatalf("the rotated key was not picked up: %v", err)
		}
	})
	t.Run("a JWKS outage keeps the cached keys working", func(t *testing.T) {
		e.mu.Lock()
		e.jwksDown = true
		e.mu.Unlock()
		clock = clock.Add(time.Minute)
		_ = e.login(a, forged) // forces a refresh attempt, which fails
		if err := e.login(a, good); err != nil {
			t.Fatalf("cached keys stopped working during a JWKS outage: %v", err)
		}
	})
}

// TestKeyRotationWithoutKeyID: a provider that signs without a kid header
// rotates its key. The broker must fetch the new key (rate-limited, as for
// an unknown kid) rather than refuse every sign-in until a restart.
func TestKeyRotationWithoutKeyID(t *testing.T) {
	e := newEvilIdP(t)
	clock := time.Now()
	a := e.authenticator(func() time.Time { return clock })
	noKid := func(key *rsa.PrivateKey) func(string) string {
		return func(n string) string { return e.sign(jose.RS256, key, "", e.claims(n)) }
	}
	if err := e.login(a, noKid(e.key)); err != nil {
		t.Fatalf("a token without kid under the published key: %v", err)
	}
	e.mu.Lock()
	e.rotated = true
	e.mu.Unlock()
	clock = clock.Add(6 * time.Second)
	if err := e.login(a, noKid(e.key2)); err != nil {
		t.Fatalf("after the provider rotated its key, a token without kid was refused: %v", err)
	}
	if err := e.login(a, noKid(e.key)); err == nil {
		t.Fatal("a token under the rotated-out key was accepted")
	}

	// Forged tokens without kid cost the provider at most one fetch per
	// interval, like made-up kids.
	forger, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, step := range []struct {
		advance time.Duration
		max     int64
	}{{0, 0}, {10 * time.Second, 1}} {
		clock = clock.Add(step.advance)
		before := e.jwksHits.Load()
		for i := 0; i < 100; i++ {
			if err := e.login(a, noKid(forger)); err == nil {
				t.Fatal("a forged token without kid was accepted")
			}
		}
		if n := e.jwksHits.Load() - before; n > step.max {
			t.Fatalf("100 forged tokens without kid %s after the last fetch caused %d JWKS fetches, want at most %d", step.advance, n, step.max)
		}
	}
}
