package devidp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secds/secds/internal/dev/devidp"
)

const (
	testClientID = "secds-broker"
	testSecret   = "s3cret"
	testRedirect = "http://127.0.0.1:8080/callback"
)

// testIDP is a provider served over real HTTP with a relying party, built
// from the real go-oidc and x/oauth2, pointed at it.
type testIDP struct {
	p      *devidp.Provider
	issuer string
	rp     *oidc.Provider
	oauth  oauth2.Config
	// browser follows no redirects, so each hop can be inspected.
	browser *http.Client
}

// newTestIDP serves a provider at issuer path path; edit adjusts the config.
func newTestIDP(t *testing.T, path string, edit func(*devidp.Config)) *testIDP {
	t.Helper()
	// Listen first: the issuer URL has to name the port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := devidp.Config{
		Issuer:  "http://" + ln.Addr().String() + path,
		Clients: []devidp.Client{{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirect}}},
		Users:   devidp.DemoUsers(),
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := devidp.New(cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewUnstartedServer(p.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	rp, err := oidc.NewProvider(t.Context(), cfg.Issuer)
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	return &testIDP{
		p:      p,
		issuer: cfg.Issuer,
		rp:     rp,
		oauth: oauth2.Config{
			ClientID:     testClientID,
			ClientSecret: testSecret,
			Endpoint:     rp.Endpoint(),
			RedirectURL:  testRedirect,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile", "groups"},
		},
		browser: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// flow is one authorization request's client-side secrets.
type flow struct {
	state, nonce, verifier string
}

func newFlow() flow {
	return flow{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
}

func (f flow) authURL(cfg oauth2.Config) string {
	return cfg.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier))
}

var (
	formRe     = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	reqRe      = regexp.MustCompile(`name="req" value="([^"]*)"`)
	usernameRe = regexp.MustCompile(`name="username" value="([^"]*)"`)
)

// loginForm fetches the login page at authURL and returns the action and
// request id of the form that signs in as username.
func (ti *testIDP) loginForm(t *testing.T, authURL, username string) (action, reqID string) {
	t.Helper()
	resp, body := ti.get(t, authURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET auth URL: status %d, body %s", resp.StatusCode, body)
	}
	for _, m := range formRe.FindAllStringSubmatch(body, -1) {
		u := usernameRe.FindStringSubmatch(m[2])
		r := reqRe.FindStringSubmatch(m[2])
		if u != nil && r != nil && u[1] == username {
			return m[1], r[1]
		}
	}
	t.Fatalf("login page has no form for %q:\n%s", username, body)
	return "", ""
}

// submitLogin posts the login form and returns the response, unfollowed.
func (ti *testIDP) submitLogin(t *testing.T, action, reqID, username string) (*http.Response, string) {
	t.Helper()
	target, err := url.Parse(ti.issuer)
	if err != nil {
		t.Fatal(err)
	}
	target, err = target.Parse(action)
	if err != nil {
		t.Fatalf("form action %q: %v", action, err)
	}
	resp, err := ti.browser.PostForm(target.String(), url.Values{"req": {reqID}, "username": {username}})
	if err != nil {
		t.Fatalf("POST login: %v", err)
	}
	return resp, readBody(t, resp)
}

// login runs the browser leg as username and returns the authorization code,
// checking the state and iss that come back with it.
func (ti *testIDP) login(t *testing.T, f flow, username string) string {
	t.Helper()
	action, reqID := ti.loginForm(t, f.authURL(ti.oauth), username)
	resp, body := ti.submitLogin(t, action, reqID, username)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("POST login: status %d, body %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %q, want %q", got, testRedirect)
	}
	q := loc.Query()
	if q.Get("state") != f.state {
		t.Fatalf("state = %q, want %q", q.Get("state"), f.state)
	}
	if q.Get("iss") != ti.issuer {
		t.Fatalf("iss = %q, want %q", q.Get("iss"), ti.issuer)
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in %s", loc.Redacted())
	}
	return q.Get("code")
}

func (ti *testIDP) get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := ti.browser.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// verify checks the raw ID token in tok with go-oidc against the provider's
// clock, and the nonce, which go-oidc leaves to the caller.
func (ti *testIDP) verify(t *testing.T, tok *oauth2.Token, nonce string) *oidc.IDToken {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		t.Fatal("token response has no id_token")
	}
	idt, err := ti.rp.Verifier(&oidc.Config{ClientID: testClientID, Now: ti.p.Now}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	return idt
}

// oauthErrorCode returns the RFC 6749 error code of a failed Exchange.
func oauthErrorCode(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not an *oauth2.RetrieveError", err)
	}
	return re.ErrorCode
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q not found in:\n%s", sub, s)
	}
}
