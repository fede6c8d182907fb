package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
)

// cliVerifier is a CLI's PKCE verifier; cliChallenge its S256 challenge.
const cliVerifier = "a-pkce-verifier-of-at-least-forty-three-characters"

var cliChallenge = auth.S256Challenge(cliVerifier)

// cliLink is the query of a CLI's /cli/login link; redirect "" is paste mode.
func cliLink(redirect string) string {
	q := url.Values{"code_challenge": {cliChallenge}, "code_challenge_method": {"S256"}}
	if redirect != "" {
		q.Set("redirect_uri", redirect)
		q.Set("state", "state-12345")
	}
	return q.Encode()
}

func TestWellKnownConfiguration(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	var conf api.Configuration
	decode(t, "configuration", ts.do(http.MethodGet, "/.well-known/secds-configuration", nil, nil), http.StatusOK, &conf)
	if conf.BrokerURL != "https://notebooks.example" || conf.TokenEndpoint != "https://notebooks.example/api/v1/cli/token" ||
		conf.APIBase != "https://notebooks.example/api/v1" || conf.CLILoginPath != "/cli/login" || !conf.CLILogin || conf.TokenTTLSeconds != 12*3600 || conf.Version == "" {
		t.Errorf("configuration = %+v", conf)
	}
	off := newTestServer(t, "https://notebooks.example", func(c *Config) { c.Tokens = nil })
	var offConf api.Configuration
	decode(t, "configuration without keys", off.do(http.MethodGet, "/.well-known/secds-configuration", nil, nil), http.StatusOK, &offConf)
	if offConf.CLILogin || offConf.TokenTTLSeconds != 0 {
		t.Errorf("configuration without token keys = %+v", offConf)
	}
}

func TestCLILogin(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	own := []string{"Origin", "https://notebooks.example"}
	const redirect = "http://127.0.0.1:4711/callback"
	confirm := func(t *testing.T, query string) string {
		t.Helper()
		page := ts.do(http.MethodGet, "/cli/login?"+query, nil, sess).Body.String()
		return csrfFrom(t, page[strings.Index(page, `id="cli-confirm"`):])
	}

	t.Run("signed out: sign in, then back to the same link", func(t *testing.T) {
		next, ok := signInRedirect(ts.do(http.MethodGet, "/cli/login?"+cliLink(redirect), nil, nil))
		if !ok || next != "/cli/login?"+cliLink(redirect) {
			t.Errorf("sign-in %v, next %q", ok, next)
		}
	})
	t.Run("the confirmation page may post to the CLI's listener", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/cli/login?"+cliLink(redirect), nil, sess)
		if !strings.Contains(w.Body.String(), "Sign in the secds CLI on this computer as alice?") ||
			!strings.HasSuffix(w.Header().Get("Content-Security-Policy"), "form-action 'self' http://127.0.0.1:4711") {
			t.Errorf("confirmation = %d, CSP %q:\n%s", w.Code, w.Header().Get("Content-Security-Policy"), w.Body)
		}
	})
	t.Run("bad links are refused before sign-in", func(t *testing.T) {
		for name, query := range map[string]string{
			"no challenge":       "code_challenge_method=S256",
			"plain PKCE":         "code_challenge=" + cliChallenge + "&code_challenge_method=plain",
			"foreign redirect":   cliLink("https://evil.example/callback"),
			"redirect, no state": "code_challenge=" + cliChallenge + "&code_challenge_method=S256&redirect_uri=" + url.QueryEscape(redirect),
		} {
			for _, c := range []*http.Cookie{nil, sess} {
				w := ts.do(http.MethodGet, "/cli/login?"+query, nil, c)
				if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `data-code="bad_cli_login"`) {
					t.Errorf("%s (session %v) = %d:\n%s", name, c != nil, w.Code, w.Body)
				}
			}
		}
	})
	t.Run("allow: 303 to the CLI with a code it can redeem once", func(t *testing.T) {
		tok := confirm(t, cliLink(redirect))
		w := ts.do(http.MethodPost, "/cli/login", strings.NewReader(cliLink(redirect)+"&decision=allow&csrf_token="+tok), sess, own...)
		loc, err := url.Parse(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || err != nil || loc.Host != "127.0.0.1:4711" || loc.Query().Get("state") != "state-12345" || loc.Query().Get("code") == "" {
			t.Fatalf("allow = %d %q", w.Code, w.Header().Get("Location"))
		}
		form := url.Values{"code": {loc.Query().Get("code")}, "code_verifier": {cliVerifier}, "redirect_uri": {redirect}}.Encode()
		var res api.TokenResponse
		decode(t, "token", ts.do(http.MethodPost, "/api/v1/cli/token", strings.NewReader(form), nil), http.StatusOK, &res)
		if res.Token == "" || res.TokenType != "Bearer" || res.Username != "alice" || res.ExpiresAt.IsZero() {
			t.Fatalf("token = %+v", res)
		}
		var me api.MeResponse
		decode(t, "me with the new token", ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(res.Token)...), http.StatusOK, &me)
		if me.Identity.Username != "alice" || me.Auth != "token" {
			t.Errorf("me = %+v", me)
		}
		if !auditHas(ts, `"type":"login"`, `"decision":"granted"`, `"via":"api"`, `"user":"alice"`) {
			t.Errorf("no token login event:\n%s", ts.audit)
		}
		wantError(t, "the code again", ts.do(http.MethodPost, "/api/v1/cli/token", strings.NewReader(form), nil), http.StatusBadRequest, "code_used")
		if !auditHas(ts, `"type":"login"`, `"decision":"denied"`, `"code":"code_used"`) {
			t.Errorf("no denied token login event:\n%s", ts.audit)
		}
	})
	t.Run("cancel: the CLI is told access_denied", func(t *testing.T) {
		tok := confirm(t, cliLink(redirect))
		w := ts.do(http.MethodPost, "/cli/login", strings.NewReader(cliLink(redirect)+"&decision=cancel&csrf_token="+tok), sess, own...)
		loc, _ := url.Parse(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
			t.Errorf("cancel = %d %q", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("paste mode shows the code", func(t *testing.T) {
		tok := confirm(t, cliLink(""))
		w := ts.do(http.MethodPost, "/cli/login", strings.NewReader(cliLink("")+"&decision=allow&csrf_token="+tok), sess, own...)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="cli-code"`) {
			t.Errorf("paste mode = %d:\n%s", w.Code, w.Body)
		}
	})
	t.Run("the confirmation needs the broker's page and the session's token", func(t *testing.T) {
		tok := confirm(t, cliLink(redirect))
		bob := csrfFrom(t, ts.do(http.MethodGet, "/logout", nil, ts.session("bob")).Body.String())
		for name, tc := range map[string]struct {
			token   string
			headers []string
			text    string
		}{
			"another site":          {tok, []string{"Origin", "https://evil.example"}, "did not come from the broker"},
			"a cross-site fetch":    {tok, []string{"Sec-Fetch-Site", "cross-site"}, "did not come from the broker"},
			"a foreign Referer":     {tok, []string{"Referer", "https://evil.example/x"}, "did not come from the broker"},
			"no CSRF token":         {"", own, "has expired or belongs to another sign-in"},
			"another session's one": {bob, own, "has expired or belongs to another sign-in"},
		} {
			w := ts.do(http.MethodPost, "/cli/login", strings.NewReader(cliLink(redirect)+"&decision=allow&csrf_token="+tc.token), sess, tc.headers...)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `data-code="csrf_failed"`) || !strings.Contains(w.Body.String(), tc.text) {
				t.Errorf("%s = %d %q:\n%s", name, w.Code, w.Header().Get("Location"), w.Body)
			}
		}
	})
	t.Run("a confirmation after the session ended signs in again", func(t *testing.T) {
		w := ts.do(http.MethodPost, "/cli/login", strings.NewReader(cliLink(redirect)+"&decision=allow&csrf_token=x"), nil, own...)
		if next, ok := signInRedirect(w); !ok || next != "/cli/login?"+cliLink(redirect) {
			t.Errorf("sign-in %v, next %q", ok, next)
		}
	})
	t.Run("token exchange refusals", func(t *testing.T) {
		wantError(t, "malformed JSON", ts.do(http.MethodPost, "/api/v1/cli/token", strings.NewReader(`{"code":`), nil, jsonBody...), http.StatusBadRequest, "bad_request")
		wantError(t, "a forged code", ts.do(http.MethodPost, "/api/v1/cli/token", strings.NewReader(`{"code":"forged","code_verifier":"`+cliVerifier+`"}`), nil, jsonBody...), http.StatusBadRequest, "code_invalid")
	})
}

func TestCLILoginWithoutTokenKeys(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", func(c *Config) { c.Tokens = nil })
	for _, c := range []*http.Cookie{nil, ts.session("alice")} {
		w := ts.do(http.MethodGet, "/cli/login?"+cliLink(""), nil, c)
		if w.Code != http.StatusNotImplemented || !strings.Contains(w.Body.String(), `data-code="cli_login_disabled"`) {
			t.Errorf("GET /cli/login (session %v) = %d:\n%s", c != nil, w.Code, w.Body)
		}
		w = ts.do(http.MethodPost, "/cli/login", strings.NewReader(cliLink("")+"&decision=allow"), c)
		if w.Code != http.StatusNotImplemented {
			t.Errorf("POST /cli/login (session %v) = %d", c != nil, w.Code)
		}
	}
	wantError(t, "token exchange", ts.do(http.MethodPost, "/api/v1/cli/token", strings.NewReader(`{}`), nil, jsonBody...), http.StatusNotImplemented, "cli_login_disabled")
}
