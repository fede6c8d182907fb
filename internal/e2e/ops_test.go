package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(st.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d %s", path, resp.StatusCode, body)
		}
	}
	st.DevIdP.SetDown(true)
	// The provider was discovered at the first /readyz, so the broker stays
	// ready for existing sessions; a broker that never saw it is not ready.
	resp, err := http.Get(st.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz after the provider went down = %d, want 200 (discovery is cached)", resp.StatusCode)
	}
}

func TestRateLimitAnswers429(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var limited *http.Response
	for i := 0; i < 200 && limited == nil; i++ {
		resp, err := c.Get(st.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = resp
		}
	}
	if limited == nil {
		t.Fatal("200 logins in a burst from one address were all let through")
	}
	if ra := limited.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// Other endpoints are not limited: health checks keep working.
	resp, err := c.Get(st.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d while /login is limited", resp.StatusCode)
	}
}

func TestEveryPageCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	alice := NewHTTPUser(t, st, "alice")
	alice.Visit(st.URL + "/open?notebook=fraud-alice")
	pages := []string{"/", "/open?notebook=no-such-notebook", "/open?notebook=fraud-alice-scratch", "/nope", "/healthz", "/readyz", "/static/style.css", "/login"}
	for _, path := range pages {
		resp, err := alice.Client.Get(st.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := map[string]string{
			"Cache-Control":          "no-store",
			"Referrer-Policy":        "same-origin",
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
		}
		for h, v := range want {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("%s: %s = %q, want %q", path, h, got, v)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy = %q", path, csp)
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on plain http", path)
		}
	}
	// HSTS follows the public URL (http here), not the header, even one
	// from the trusted proxy's address straight to the replica.
	req, _ := http.NewRequest(http.MethodGet, st.Replicas[0].URL+"/healthz", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("HSTS %q on a plain-http broker because the client said X-Forwarded-Proto: https", hsts)
	}
}

func TestIdentityProviderDown(t *testing.T) {
	t.Parallel()
	t.Run("existing sessions keep working", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		alice := NewHTTPUser(t, st, "alice")
		alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, "fraud-alice")
		st.DevIdP.SetDown(true)
		alice.Visit(alice.Presign("fraud-alice")).MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	})
	t.Run("a new login gets a clear page, 503 and an audit event", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		st.DevIdP.SetDown(true) // before the broker ever reached it
		p := NewHTTPUser(t, st, "bob").Visit(st.URL + "/open?notebook=marketing-bob")
		p.MustContain(t, http.StatusServiceUnavailable, "Sign-in is unavailable", "cannot be reached")
		if p.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		var found bool
		for _, ev := range st.AuditEvents(t) {
			found = found || ev["type"] == "login" && ev["decision"] == "failed" && ev["code"] == "idp_unavailable"
		}
		if !found {
			t.Errorf("no failed-login audit event:\n%s", st.Audit.String())
		}
		// Recovery once the provider is back: auth's TestProviderDownAtLogin
		// moves the clock past the broker's back-off.
	})
}
