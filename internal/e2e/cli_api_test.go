package e2e

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"

	"github.com/secds/secds/cmd/secds/cli"
)

// cliLoginCode plays the CLI's browser leg in paste mode and returns the
// code the broker's page shows.
func cliLoginCode(t *testing.T, u *HTTPUser, challenge string) string {
	t.Helper()
	page := u.Visit(u.st.URL + "/cli/login?" + url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode())
	m := cliCodeRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no code on the page:\n%s", page.Body)
	}
	return html.UnescapeString(m[1])
}

// confirmCLILogin opens the signed-in browser on /cli/login?q and posts its
// confirmation form with decision=allow, changed by edit when not nil.
func confirmCLILogin(t *testing.T, u *HTTPUser, q url.Values, edit func(form url.Values, req *http.Request)) (*http.Response, string) {
	t.Helper()
	get, _ := http.NewRequest(http.MethodGet, u.st.URL+"/cli/login?"+q.Encode(), nil)
	resp, body := patiently(t, u, get)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="cli-confirm"`) {
		t.Fatalf("/cli/login = %d, not the confirmation page:\n%s", resp.StatusCode, body)
	}
	form := HiddenFields(string(body))
	form.Set("decision", "allow")
	req, _ := http.NewRequest(http.MethodPost, u.st.URL+"/cli/login", nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.st.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if edit != nil {
		edit(form, req)
	}
	enc := form.Encode()
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(enc)), nil }
	resp, body = patiently(t, u, req)
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc != nil {
		u.st.Secret("confirmed code", loc.Query().Get("code"))
	}
	return resp, string(body)
}

// patiently sends req from the browser, waiting out the per-user rate limit
// as a person would (these tests make more requests a second than one).
func patiently(t *testing.T, u *HTTPUser, req *http.Request) (*http.Response, string) {
	t.Helper()
	for {
		if req.GetBody != nil {
			req.Body, _ = req.GetBody()
		}
		resp, err := u.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			return resp, string(body)
		}
		time.Sleep(time.Second)
	}
}

// exchange trades a CLI login code for a token, as secds login does.
func exchange(t *testing.T, st *Stack, code, verifier, redirect string) (int, map[string]any) {
	t.Helper()
	status, _, m := apiCall(t, nil, http.MethodPost, st.URL+"/api/v1/cli/token", "",
		map[string]string{"code": code, "code_verifier": verifier, "redirect_uri": redirect}, nil)
	if tok, _ := m["token"].(string); tok != "" {
		st.Secret("token from exchange", tok)
	}
	return status, m
}

func TestCLILoginCodeRefusals(t *testing.T) {
	st := StartStack(t, StackOptions{})
	c := NewHTTPUser(t, st, "alice")
	verifier := oauth2.GenerateVerifier()
	challenge := oauth2.S256ChallengeFromVerifier(verifier)

	t.Run("a code works once", func(t *testing.T) {
		code := cliLoginCode(t, c, challenge)
		status, m := exchange(t, st, code, verifier, "")
		if status != http.StatusOK || m["token_type"] != "Bearer" || m["username"] != "alice" || m["expires_at"] == nil {
			t.Fatalf("exchange = %d %v", status, m)
		}
		if status, m = exchange(t, st, code, verifier, ""); status != http.StatusBadRequest || errCode(m) != "code_used" {
			t.Fatalf("replay = %d %v, want 400 code_used", status, m)
		}
	})
	t.Run("a wrong verifier is refused and spends the code", func(t *testing.T) {
		code := cliLoginCode(t, c, challenge)
		if status, m := exchange(t, st, code, oauth2.GenerateVerifier(), ""); status != http.StatusBadRequest || errCode(m) != "verifier_mismatch" {
			t.Fatalf("wrong verifier = %d %v", status, m)
		}
		if status, m := exchange(t, st, code, verifier, ""); status != http.StatusBadRequest || errCode(m) != "code_used" {
			t.Fatalf("then the right one = %d %v, want code_used", status, m)
		}
	})
	t.Run("a code for a loopback redirect is bound to it", func(t *testing.T) {
		q := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"},
			"redirect_uri": {"http://127.0.0.1:4711/callback"}, "state": {"state-1234"}}
		resp, _ := confirmCLILogin(t, c, q, nil) // the browser is signed in by now
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Host != "127.0.0.1:4711" || loc.Path != "/callback" || loc.Query().Get("state") != "state-1234" {
			t.Fatalf("/cli/login = %d to %v", resp.StatusCode, loc)
		}
		st.Secret("loopback code", loc.Query().Get("code"))
		if status, m := exchange(t, st, loc.Query().Get("code"), verifier, ""); status != http.StatusBadRequest || errCode(m) != "redirect_mismatch" {
			t.Fatalf("other redirect = %d %v", status, m)
		}
	})
	t.Run("garbage is refused", func(t *testing.T) {
		if status, m := exchange(t, st, "bm9wZQ", verifier, ""); status != http.StatusBadRequest || errCode(m) != "code_invalid" {
			t.Fatalf("garbage code = %d %v", status, m)
		}
		resp, err := http.PostForm(st.URL+"/api/v1/cli/token", url.Values{"code": {"bm9wZQ"}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a form with a garbage code = %d", resp.StatusCode)
		}
		resp, err = http.Post(st.URL+"/api/v1/cli/token", "application/json", strings.NewReader("{not json"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed body = %d", resp.StatusCode)
		}
	})

	bad := []struct {
		name  string
		query url.Values
	}{
		{"a redirect to another host", url.Values{"redirect_uri": {"https://evil.example/callback"}, "state": {"state-1234"}}},
		{"a loopback redirect without a port", url.Values{"redirect_uri": {"http://127.0.0.1/callback"}, "state": {"state-1234"}}},
		{"a loopback redirect to another path", url.Values{"redirect_uri": {"http://127.0.0.1:4711/steal"}, "state": {"state-1234"}}},
		{"a look-alike host", url.Values{"redirect_uri": {"http://localhost.evil.example:4711/callback"}, "state": {"state-1234"}}},
		{"no state with a redirect", url.Values{"redirect_uri": {"http://127.0.0.1:4711/callback"}}},
		{"no challenge", url.Values{"code_challenge": {""}}},
		{"a plain challenge", url.Values{"code_challenge_method": {"plain"}}},
	}
	for _, tc := range bad {
		t.Run("/cli/login refuses "+tc.name, func(t *testing.T) {
			q := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
			for k, v := range tc.query {
				q[k] = v
			}
			resp, err := c.Client.Get(st.URL + "/cli/login?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(body), `data-code="bad_cli_login"`) {
				t.Fatalf("= %d, Location %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}

	var granted, denied int
	for _, ev := range st.AuditEvents(t) {
		if ev["type"] == "login" && ev["via"] == "api" {
			if ev["decision"] == "granted" && ev["user"] == "alice" {
				granted++
			} else if ev["decision"] == "denied" {
				denied++
			}
		}
	}
	if granted != 1 || denied < 5 {
		t.Errorf("audit: %d granted and %d denied CLI logins, want 1 and at least 5", granted, denied)
	}
}

// TestCLILoginNeedsConfirmation: a page elsewhere can navigate a signed-in
// browser to /cli/login with its own PKCE challenge and a loopback port it
// listens on; that must issue no code. Only the confirmation form, posted
// from the broker's page with the session's CSRF token, does.
func TestCLILoginNeedsConfirmation(t *testing.T) {
	st := StartStack(t, StackOptions{})
	c := NewHTTPUser(t, st, "alice")
	c.Visit(st.URL + "/login?next=/")
	verifier := oauth2.GenerateVerifier()
	q := url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"redirect_uri": {"http://127.0.0.1:4711/callback"}, "state": {"state-1234"}}
	noCode := func(t *testing.T, resp *http.Response, body string) {
		t.Helper()
		if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") || strings.Contains(loc, "127.0.0.1:4711") {
			t.Fatalf("a code was issued: %d to %s", resp.StatusCode, loc)
		}
		if strings.Contains(body, `id="cli-code"`) {
			t.Fatalf("a code was shown:\n%s", body)
		}
	}

	t.Run("a cross-site navigation gets the question, not a code", func(t *testing.T) {
		for _, paste := range []bool{false, true} {
			qq := q
			if paste {
				qq = url.Values{"code_challenge": q["code_challenge"], "code_challenge_method": {"S256"}}
			}
			req, _ := http.NewRequest(http.MethodGet, st.URL+"/cli/login?"+qq.Encode(), nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := c.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			noCode(t, resp, string(body))
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "as alice?") || !strings.Contains(string(body), `id="cli-confirm-cancel"`) {
				t.Fatalf("paste=%v: = %d:\n%s", paste, resp.StatusCode, body)
			}
			// The form's answer may redirect to the CLI's listener, and
			// nowhere else.
			want := "form-action 'self' http://127.0.0.1:4711"
			if paste {
				want = "form-action 'self'"
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, want) || strings.Count(csp, "form-action") != 1 || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("paste=%v: CSP %q, want it to end with %q", paste, csp, want)
			}
		}
	})
	refusals := []struct {
		name   string
		status int
		edit   func(url.Values, *http.Request)
	}{
		{"no CSRF token", http.StatusForbidden, func(f url.Values, _ *http.Request) { f.Del("csrf_token") }},
		{"a forged CSRF token", http.StatusForbidden, func(f url.Values, _ *http.Request) { f.Set("csrf_token", "bm9wZQ") }},
		{"a foreign Origin", http.StatusForbidden, func(_ url.Values, r *http.Request) {
			r.Header.Set("Origin", "https://evil.example")
			r.Header.Del("Sec-Fetch-Site")
		}},
		{"a cross-site post", http.StatusForbidden, func(_ url.Values, r *http.Request) {
			r.Header.Set("Origin", "null")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}},
		{"a null Origin without Fetch Metadata", http.StatusForbidden, func(_ url.Values, r *http.Request) {
			r.Header.Set("Origin", "null")
			r.Header.Del("Sec-Fetch-Site")
		}},
		{"a redirect changed in the form", http.StatusBadRequest, func(f url.Values, _ *http.Request) { f.Set("redirect_uri", "https://evil.example/callback") }},
		{"a plain challenge in the form", http.StatusBadRequest, func(f url.Values, _ *http.Request) { f.Set("code_challenge_method", "plain") }},
		{"a state dropped from the form", http.StatusBadRequest, func(f url.Values, _ *http.Request) { f.Del("state") }},
	}
	for _, tc := range refusals {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			resp, body := confirmCLILogin(t, c, q, tc.edit)
			noCode(t, resp, body)
			if resp.StatusCode != tc.status {
				t.Fatalf("= %d, want %d:\n%s", resp.StatusCode, tc.status, body)
			}
		})
	}
	t.Run("refuses another session's CSRF token", func(t *testing.T) {
		bob := otherBrowser(t, st, "bob")
		resp, err := bob.Get(st.URL + "/cli/login?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bobs := HiddenFields(string(page)).Get("csrf_token")
		if bobs == "" {
			t.Fatalf("bob's page has no CSRF token:\n%s", page)
		}
		resp, body := confirmCLILogin(t, c, q, func(f url.Values, _ *http.Request) { f.Set("csrf_token", bobs) })
		noCode(t, resp, body)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("= %d:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("cancel tells the CLI and issues nothing", func(t *testing.T) {
		resp, body := confirmCLILogin(t, c, q, func(f url.Values, _ *http.Request) { f.Set("decision", "cancel") })
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Host != "127.0.0.1:4711" || loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" || loc.Query().Get("state") != "state-1234" {
			t.Fatalf("cancel = %d to %v:\n%s", resp.StatusCode, loc, body)
		}
	})
	t.Run("the confirmation issues a code for the same parameters", func(t *testing.T) {
		resp, _ := confirmCLILogin(t, c, q, nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Host != "127.0.0.1:4711" || loc.Query().Get("state") != "state-1234" {
			t.Fatalf("= %d to %v", resp.StatusCode, loc)
		}
		if status, m := exchange(t, st, loc.Query().Get("code"), verifier, "http://127.0.0.1:4711/callback"); status != http.StatusOK {
			t.Fatalf("exchange = %d %v", status, m)
		}
	})
}

func TestAPIAuthentication(t *testing.T) {
	st := StartStack(t, StackOptions{})
	c := NewHTTPUser(t, st, "alice")
	base := st.URL
	verifier := oauth2.GenerateVerifier()
	_, tm := exchange(t, st, cliLoginCode(t, c, oauth2.S256ChallengeFromVerifier(verifier)), verifier, "")
	token, _ := tm["token"].(string)

	t.Run("discovery", func(t *testing.T) {
		status, _, m := apiCall(t, nil, http.MethodGet, base+"/.well-known/secds-configuration", "", nil, nil)
		if status != http.StatusOK || m["broker_url"] != base || m["cli_login_path"] != "/cli/login" || m["token_endpoint"] != base+"/api/v1/cli/token" ||
			m["api_base"] != base+"/api/v1" || m["cli_login"] != true || m["token_ttl_seconds"] != st.Config.Tokens.TTL.Seconds() || m["version"] == "" {
			t.Errorf("configuration = %d %v", status, m)
		}
	})
	t.Run("refusals are JSON 401s", func(t *testing.T) {
		for name, hdr := range map[string]map[string]string{
			"nothing":      nil,
			"garbage":      {"Authorization": "Bearer not-a-token"},
			"basic":        {"Authorization": "Basic YWxpY2U6eA=="},
			"tampered":     {"Authorization": "Bearer " + token[:len(token)-4] + "AAAA"},
			"empty bearer": {"Authorization": "Bearer "},
		} {
			status, h, m := apiCall(t, nil, http.MethodGet, base+"/api/v1/me", "", nil, hdr)
			e, _ := m["error"].(map[string]any)
			if status != http.StatusUnauthorized || e["message"] == "" || e["request_id"] == "" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %d %v %v", name, status, m, h.Get("WWW-Authenticate"))
			}
		}
	})
	t.Run("a bearer token", func(t *testing.T) {
		status, _, m := apiCall(t, nil, http.MethodGet, base+"/api/v1/me", token, nil, nil)
		id, _ := m["identity"].(map[string]any)
		if status != http.StatusOK || id["username"] != "alice" || m["auth"] != "token" || m["csrf_token"] != nil || m["token_expires_at"] == nil {
			t.Fatalf("me = %d %v", status, m)
		}
		status, _, m = apiCall(t, nil, http.MethodPost, base+"/api/v1/open", token, map[string]string{}, nil)
		choices, _ := m["choices"].([]any)
		if status != http.StatusConflict || errCode(m) != "choose_notebook" || len(choices) != 2 {
			t.Fatalf("open without a name = %d %v, want 409 with two choices", status, m)
		}
		status, _, m = apiCall(t, nil, http.MethodPost, base+"/api/v1/open", token, map[string]string{"notebook": "fraud-alice"}, nil)
		if status != http.StatusOK || m["team"] != "fraud" || m["notebook"] != "fraud-alice" || m["expires_at"] == nil {
			t.Fatalf("open = %d %v", status, m)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/open", strings.NewReader(`{"notebook":`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed body = %d, want 400", resp.StatusCode)
		}
	})
	t.Run("the session cookie needs the CSRF token to change anything", func(t *testing.T) {
		// c is signed in as alice since the CLI login above.
		status, _, m := apiCall(t, c.Client, http.MethodGet, base+"/api/v1/me", "", nil, nil)
		csrf, _ := m["csrf_token"].(string)
		if status != http.StatusOK || m["auth"] != "session" || csrf == "" {
			t.Fatalf("me with the cookie = %d %v", status, m)
		}
		open := map[string]string{"notebook": "fraud-alice"}
		if status, _, m := apiCall(t, c.Client, http.MethodPost, base+"/api/v1/open", "", open, nil); status != http.StatusForbidden || errCode(m) != "csrf_failed" {
			t.Errorf("without the header = %d %v", status, m)
		}
		if status, _, m := apiCall(t, c.Client, http.MethodPost, base+"/api/v1/open", "", open, map[string]string{"X-CSRF-Token": csrf, "Origin": "https://evil.example"}); status != http.StatusForbidden {
			t.Errorf("from another origin = %d %v", status, m)
		}
		bob := otherBrowser(t, st, "bob")
		_, _, bm := apiCall(t, bob, http.MethodGet, base+"/api/v1/me", "", nil, nil)
		bobCSRF, _ := bm["csrf_token"].(string)
		if status, _, m := apiCall(t, c.Client, http.MethodPost, base+"/api/v1/open", "", open, map[string]string{"X-CSRF-Token": bobCSRF}); status != http.StatusForbidden {
			t.Errorf("with bob's CSRF token = %d %v", status, m)
		}
		if status, _, m := apiCall(t, c.Client, http.MethodPost, base+"/api/v1/open", "", open, map[string]string{"X-CSRF-Token": csrf, "Origin": base}); status != http.StatusOK || m["notebook"] != "fraud-alice" {
			t.Errorf("with the header = %d %v", status, m)
		}
		// A bearer token is judged alone: bob's cookie beside alice's token
		// changes nothing, and a bad token does not fall back to the cookie.
		if _, _, m := apiCall(t, bob, http.MethodGet, base+"/api/v1/me", token, nil, nil); m["auth"] != "token" {
			t.Errorf("token beside a cookie: %v", m)
		}
		if status, _, _ := apiCall(t, bob, http.MethodGet, base+"/api/v1/me", "bad", nil, nil); status != http.StatusUnauthorized {
			t.Errorf("a bad token beside a good cookie = %d, want 401", status)
		}
	})
	t.Run("unknown API paths are JSON", func(t *testing.T) {
		if status, _, m := apiCall(t, nil, http.MethodGet, base+"/api/v1/nope", token, nil, nil); status != http.StatusNotFound || errCode(m) == "" {
			t.Errorf("= %d %v", status, m)
		}
	})
}

// otherBrowser is another person's browser, signed in to the broker.
func otherBrowser(t *testing.T, st *Stack, user string) *http.Client {
	t.Helper()
	other := NewHTTPUser(t, st, user)
	other.Visit(st.URL + "/login?next=/")
	return other.Client
}

func TestCLIKeyring(t *testing.T) {
	keyring.MockInit() // the OS keyring, in memory: there is no D-Bus here
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.keyring = nil // the CLI's own keyring client
	c.configure()
	c.run("login").want(t, 0, "The token is kept in the OS keyring")
	if _, err := keyring.Get("secds", "profile:default"); err != nil {
		t.Fatalf("no keyring entry: %v", err)
	}
	c.run("whoami").want(t, 0, "alice")
	if c.openedCount() != 1 {
		t.Errorf("logged in %d times", c.openedCount())
	}
	c.run("logout").want(t, 0, "Logged out")
	if _, err := keyring.Get("secds", "profile:default"); err != keyring.ErrNotFound {
		t.Errorf("keyring entry after logout: %v", err)
	}
	c.run("whoami").want(t, cli.ExitAuth)
}
