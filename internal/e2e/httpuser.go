package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// HTTPUser is a person's browser reduced to a cookie jar that follows every
// redirect itself, so each hop is seen, and signs in at the provider's login
// page by submitting its form. It is deterministic where a real browser
// fetches extra things (a favicon) in the background, which is what the
// replica tests need to know which replica served which step.
type HTTPUser struct {
	t        testing.TB
	name     string
	provider *Provider
	Client   *http.Client
}

// Page is where a visit ended.
type Page struct {
	Status int
	Body   string
	Header http.Header
	Hops   []string // every URL visited, in order
}

// NewHTTPUser returns a user who signs in as name at p. Like Browser, it
// trusts the run's test CA (TestPKI) and no other.
func NewHTTPUser(t testing.TB, p *Provider, name string) *HTTPUser {
	jar, _ := cookiejar.New(nil)
	return &HTTPUser{t: t, name: name, provider: p, Client: &http.Client{
		Jar:           jar,
		Transport:     TestPKI(t).Transport(),
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Visit follows redirects from start like a browser and, on the login page,
// signs in as the user.
func (u *HTTPUser) Visit(start string) Page {
	u.t.Helper()
	var p Page
	next, method, form := start, http.MethodGet, url.Values(nil)
	loginPage := u.provider.Login.URL + "/login?"
	for range 20 {
		p.Hops = append(p.Hops, next)
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = u.Client.PostForm(next, form)
		} else {
			resp, err = u.Client.Get(next)
		}
		if err != nil {
			u.t.Fatalf("%s %s: %v", method, redact(next), err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.Status, p.Body, p.Header = resp.StatusCode, string(body), resp.Header
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				u.t.Fatalf("bad Location from %s: %v", redact(next), err)
			}
			next, method = loc.String(), http.MethodGet
		case method == http.MethodGet && resp.StatusCode == http.StatusOK && strings.HasPrefix(next, loginPage):
			if !strings.Contains(p.Body, `id="login-`+u.name+`"`) {
				u.t.Fatalf("the login page offers no button for %s:\n%s", u.name, p.Body)
			}
			q := resp.Request.URL.Query()
			next, method = u.provider.Login.URL+"/login", http.MethodPost
			form = url.Values{"login_challenge": {q.Get("login_challenge")}, "username": {u.name}}
		default:
			return p
		}
	}
	u.t.Fatalf("too many redirects from %s", redact(start))
	return p
}

// MustContain fails the test unless the page has the status and every part.
func (p Page) MustContain(t testing.TB, status int, parts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status = %d, want %d; body:\n%s", p.Status, status, p.Body)
	}
	for _, s := range parts {
		if !strings.Contains(p.Body, s) {
			t.Errorf("page lacks %q; body:\n%s", s, p.Body)
		}
	}
}
