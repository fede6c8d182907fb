package devidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestAuthorizeShowsErrorPageWithoutRedirect(t *testing.T) {
	ti := newTestIDP(t, "", nil)
	v := oauth2.GenerateVerifier()
	tests := []struct {
		name   string
		modify func(q url.Values)
	}{
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/callback") }},
		{"redirect_uri differs by a trailing slash", func(q url.Values) { q.Set("redirect_uri", testRedirect+"/") }},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }},
		{"unknown client_id", func(q url.Values) { q.Set("client_id", "nobody") }},
		{"repeated redirect_uri", func(q url.Values) { q.Add("redirect_uri", "https://evil.example/callback") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(ti.oauth.AuthCodeURL("st", oauth2.S256ChallengeOption(v)))
			q := u.Query()
			tt.modify(q)
			u.RawQuery = q.Encode()
			resp, body := ti.get(t, u.String())
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", resp.StatusCode)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("redirected to %q", loc)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
			mustContain(t, body, `id="error-message"`)
		})
	}
}

func TestAuthorizeRedirectsErrors(t *testing.T) {
	ti := newTestIDP(t, "", nil)
	v := oauth2.GenerateVerifier()
	tests := []struct {
		name   string
		modify func(q url.Values)
		want   string
	}{
		{"missing code_challenge", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"plain code_challenge_method", func(q url.Values) { q.Set("code_challenge", v); q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"missing code_challenge_method", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"malformed code_challenge", func(q url.Values) { q.Set("code_challenge", "short") }, "invalid_request"},
		{"scope without openid", func(q url.Values) { q.Set("scope", "email profile") }, "invalid_scope"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "id_token") }, "unsupported_response_type"},
		{"missing response_type", func(q url.Values) { q.Del("response_type") }, "invalid_request"},
		{"fragment response mode", func(q url.Values) { q.Set("response_mode", "fragment") }, "invalid_request"},
		{"prompt=none without a session", func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
		{"request object", func(q url.Values) { q.Set("request", "eyJ...") }, "request_not_supported"},
		{"repeated scope", func(q url.Values) { q.Add("scope", "openid") }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(ti.oauth.AuthCodeURL("the-state", oauth2.S256ChallengeOption(v)))
			q := u.Query()
			tt.modify(q)
			u.RawQuery = q.Encode()
			resp, body := ti.get(t, u.String())
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status = %d, want 302: %s", resp.StatusCode, body)
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(loc.String(), testRedirect+"?") {
				t.Errorf("redirected to %q", loc)
			}
			lq := loc.Query()
			if lq.Get("error") != tt.want || lq.Get("state") != "the-state" || lq.Get("code") != "" {
				t.Errorf("error=%q state=%q code set=%v, want error %q and the state", lq.Get("error"), lq.Get("state"), lq.Has("code"), tt.want)
			}
		})
	}
}

func TestAuthorizeAcceptsPOST(t *testing.T) {
	ti := newTestIDP(t, "/dex", nil)
	f := newFlow()
	u, _ := url.Parse(f.authURL(ti.oauth))
	resp, err := ti.browser.PostForm(ti.oauth.Endpoint.AuthURL, u.Query())
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d: %s", resp.StatusCode, body)
	}
	mustContain(t, body, `action="/dex/auth/login"`)
}

func TestLoginPage(t *testing.T) {
	ti := newTestIDP(t, "", nil)
	resp, body := ti.get(t, newFlow().authURL(ti.oauth))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, s := range []string{
		"secds dev identity provider",
		"No password is asked",
		`id="login-alice"`, `id="login-bob"`, `id="login-carol"`, `id="login-admin"`,
		"ds-fraud", "ds-marketing", "secds-admins",
		`<form class="user" method="post" action="/auth/login">`,
	} {
		mustContain(t, body, s)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestLoginRejects(t *testing.T) {
	tests := []struct {
		name   string
		submit func(t *testing.T, ti *testIDP, action, reqID string) (*http.Response, string)
	}{
		{"unknown request", func(t *testing.T, ti *testIDP, action, _ string) (*http.Response, string) {
			return ti.submitLogin(t, action, "no-such-request", "alice")
		}},
		{"expired request", func(t *testing.T, ti *testIDP, action, reqID string) (*http.Response, string) {
			ti.p.Advance(11 * time.Minute)
			return ti.submitLogin(t, action, reqID, "alice")
		}},
		{"unknown user", func(t *testing.T, ti *testIDP, action, reqID string) (*http.Response, string) {
			return ti.submitLogin(t, action, reqID, "mallory")
		}},
		{"request used twice", func(t *testing.T, ti *testIDP, action, reqID string) (*http.Response, string) {
			if resp, _ := ti.submitLogin(t, action, reqID, "alice"); resp.StatusCode != http.StatusFound {
				t.Fatalf("first login: status %d", resp.StatusCode)
			}
			return ti.submitLogin(t, action, reqID, "bob")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIDP(t, "", nil)
			action, reqID := ti.loginForm(t, newFlow().authURL(ti.oauth), "alice")
			resp, body := tt.submit(t, ti, action, reqID)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d, Location %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			mustContain(t, body, `id="error-message"`)
		})
	}
}
