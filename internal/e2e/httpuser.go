package e2e

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// HTTPUser is one person and their browser reduced to a cookie jar that
// follows every redirect itself, so each hop is seen. It signs in at the
// provider's login page (Hydra's login app or the dev identity provider) by
// submitting the form of the button login-<name>, as a person clicks it in
// Chromium (Browser, the real browser, signs in through the same button),
// and it answers the broker's "sign in the secds CLI as <name>?" with
// allow. It is deterministic where a real browser fetches extra things (a
// favicon) in the background, which is what the replica tests need to know
// which replica served which step.
//
// Every cookie, authorization code, CLI code and presigned token it sees is
// registered with the stack as a secret (Stack.Secret).
type HTTPUser struct {
	t      testing.TB
	st     *Stack
	Name   string
	Client *http.Client // the cookie jar, following no redirect itself
}

// Page is where a visit ended.
type Page struct {
	Status int
	Body   string
	Header http.Header
	Hops   []string // every URL visited, in order
}

// NewHTTPUser returns name's browser on st. Like Browser, it trusts the
// run's test CA (TestPKI) and no other.
func NewHTTPUser(t testing.TB, st *Stack, name string) *HTTPUser {
	jar, _ := cookiejar.New(nil)
	return &HTTPUser{t: t, st: st, Name: name, Client: &http.Client{
		Jar:           jar,
		Transport:     TestPKI(t).Transport(),
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Visit follows redirects from start like a browser, signing in and
// confirming CLI logins on the way, and fails the test if a request fails.
func (u *HTTPUser) Visit(start string) Page {
	u.t.Helper()
	p, err := u.Follow(start)
	if err != nil {
		u.t.Fatal(err)
	}
	return p
}

var (
	formRE    = regexp.MustCompile(`(?s)<form[^>]*>.*?</form>`)
	actionRE  = regexp.MustCompile(`action="([^"]*)"`)
	hiddenRE  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	cliCodeRE = regexp.MustCompile(`id="cli-code"[^>]*>([^<]+)<`)
	// cliAnyCodeRE also finds the long code some code pages offer.
	cliAnyCodeRE = regexp.MustCompile(`id="cli-(?:long-)?code"[^>]*>([^<]+)<`)
)

// Follow is Visit returning an error instead of failing the test, for a
// browser the CLI drives from its own goroutines.
func (u *HTTPUser) Follow(start string) (Page, error) {
	var p Page
	next, method, form := start, http.MethodGet, url.Values(nil)
	for range 20 {
		p.Hops = append(p.Hops, next)
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = u.PostForm(next, form)
		} else {
			resp, err = u.Client.Get(next)
		}
		if err != nil {
			return p, fmt.Errorf("%s %s: %w", method, redact(next), err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		u.collectSecrets(resp, string(body))
		p.Status, p.Body, p.Header = resp.StatusCode, string(body), resp.Header
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return p, fmt.Errorf("bad Location from %s: %w", redact(next), err)
			}
			next, method = loc.String(), http.MethodGet
		case method == http.MethodGet && resp.StatusCode == http.StatusOK && resp.Request.URL.Hostname() == ProviderHost &&
			strings.Contains(p.Body, `id="login-`+u.Name+`"`):
			next, form, err = u.loginForm(resp.Request.URL, p.Body)
			if err != nil {
				return p, err
			}
			method = http.MethodPost
		case method == http.MethodGet && strings.HasPrefix(next, u.st.URL+"/cli/login") && strings.Contains(p.Body, `id="cli-confirm"`):
			// The person reads "Sign in the secds CLI on this computer as
			// alice?" and clicks the button.
			if !strings.Contains(p.Body, "as "+u.Name+"?") {
				return p, fmt.Errorf("the confirmation page does not name %s:\n%s", u.Name, p.Body)
			}
			next, method, form = u.st.URL+"/cli/login", http.MethodPost, HiddenFields(p.Body)
			form.Set("decision", "allow")
		default:
			return p, nil
		}
	}
	return p, fmt.Errorf("too many redirects from %s: %v", redact(start), p.Hops)
}

// loginForm is what clicking the button login-<name> on a login page posts.
func (u *HTTPUser) loginForm(page *url.URL, body string) (string, url.Values, error) {
	for _, f := range formRE.FindAllString(body, -1) {
		if !strings.Contains(f, `id="login-`+u.Name+`"`) {
			continue
		}
		action := page
		if m := actionRE.FindStringSubmatch(f); m != nil {
			a, err := page.Parse(html.UnescapeString(m[1]))
			if err != nil {
				return "", nil, fmt.Errorf("login form action %q: %w", m[1], err)
			}
			action = a
		}
		form := HiddenFields(f)
		form.Set("username", u.Name)
		return action.String(), form, nil
	}
	return "", nil, fmt.Errorf("the login page has no form with a button for %s:\n%s", u.Name, body)
}

// PostForm posts a form as a browser does from a page of the same site:
// with Fetch Metadata, and with the page's origin (the broker's, or the
// identity provider's).
func (u *HTTPUser) PostForm(target string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return u.Client.Do(req)
}

// HiddenFields are a page's hidden form fields, as a browser would post them.
func HiddenFields(page string) url.Values {
	f := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		f.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return f
}

func (u *HTTPUser) collectSecrets(resp *http.Response, body string) {
	for _, c := range resp.Cookies() {
		u.st.Secret("cookie "+c.Name, c.Value)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "authToken=") || strings.Contains(loc, "code=") {
		l, _ := url.Parse(loc)
		if l != nil {
			u.st.Secret("presigned token", l.Query().Get("authToken"))
			u.st.Secret("authorization code for "+l.Host, l.Query().Get("code"))
		}
	}
	for _, m := range cliAnyCodeRE.FindAllStringSubmatch(body, -1) {
		u.st.Secret("pasted code", html.UnescapeString(m[1]))
	}
}

// Presign asks the broker for a notebook with the user's session and
// returns the presigned URL without following it, checking that the
// redirect is neither cached nor sent on as a Referer.
func (u *HTTPUser) Presign(notebook string) string {
	u.t.Helper()
	resp, err := u.Client.Get(u.st.URL + "/open?notebook=" + notebook)
	if err != nil {
		u.t.Fatal(err)
	}
	resp.Body.Close()
	u.collectSecrets(resp, "")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "authToken=") {
		u.t.Fatalf("open %s: status %d, Location %q; want a 302 to a presigned URL", notebook, resp.StatusCode, redact(loc))
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			u.t.Errorf("%s = %q on the redirect to AWS, want %q", h, got, want)
		}
	}
	return loc
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

// PresignedURL is the presigned notebook URL the visit went through.
func (p Page) PresignedURL(t testing.TB) string {
	t.Helper()
	for _, h := range p.Hops {
		if strings.Contains(h, "/notebooks/") && strings.Contains(h, "authToken=") {
			return h
		}
	}
	t.Fatalf("no presigned URL among the hops %v", p.Hops)
	return ""
}
