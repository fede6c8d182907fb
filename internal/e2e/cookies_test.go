package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
)

// wantBrokerCookies checks the broker's cookies in a browser that signed
// in, twice: as the broker sent them (every Set-Cookie through the proxy
// so far, deletions included: a browser drops a cookie it dislikes without
// a word), and as the browser kept them (its jar for the broker's URL). On
// https each is __Host-, Secure, HttpOnly, Path=/ with no Domain; on http
// each is HttpOnly, Path=/ with no Domain, neither prefixed nor Secure.
// Neither is SameSite=None. The jar holds the session and no login round
// trip left over.
func wantBrokerCookies(t *testing.T, st *Stack, b *Browser) {
	t.Helper()
	https := strings.HasPrefix(st.URL, "https://")
	sent := 0
	for _, h := range st.Proxy.Hops() {
		for _, c := range h.SetCookies {
			sent++
			got := cookieAttrs{c.Name, c.Path, c.Domain, c.Secure, c.HttpOnly, c.SameSite == http.SameSiteNoneMode}
			if bad := got.problems(https, ""); bad != nil {
				t.Errorf("%s %s set the cookie %q: %s", h.Method, h.Path, c.Name, strings.Join(bad, "; "))
			}
		}
	}
	if sent == 0 {
		t.Errorf("the broker set no cookie through the proxy")
	}

	// The jar reports a host-only cookie with the bare host as its domain
	// (a domain cookie would show ".host").
	host := must(url.Parse(st.URL)).Hostname()
	var names []string
	for _, c := range b.Cookies(st.URL + "/") {
		names = append(names, c.Name)
		got := cookieAttrs{c.Name, c.Path, c.Domain, c.Secure, c.HTTPOnly, c.SameSite == network.CookieSameSiteNone}
		if bad := got.problems(https, host); bad != nil {
			t.Errorf("the browser keeps the cookie %q for %s: %s", c.Name, st.URL, strings.Join(bad, "; "))
		}
		if strings.Contains(c.Name, "secds_login_") {
			t.Errorf("the login round trip's cookie %q outlived the sign-in", c.Name)
		}
	}
	session := "secds_session"
	if https {
		session = "__Host-" + session
	}
	if !slices.Contains(names, session) {
		t.Errorf("the browser's jar for %s holds %q, want the session cookie %s", st.URL, names, session)
	}
}

type cookieAttrs struct {
	name, path, domain             string
	secure, httpOnly, sameSiteNone bool
}

func (c cookieAttrs) problems(https bool, domain string) []string {
	var bad []string
	if https && !strings.HasPrefix(c.name, "__Host-") {
		bad = append(bad, "no __Host- prefix")
	}
	if !https && strings.HasPrefix(c.name, "__Host-") {
		bad = append(bad, "a __Host- prefix on http")
	}
	if https && !c.secure {
		bad = append(bad, "not Secure")
	}
	if !https && c.secure {
		bad = append(bad, "Secure on http")
	}
	if !c.httpOnly {
		bad = append(bad, "not HttpOnly")
	}
	if c.path != "/" {
		bad = append(bad, "Path="+c.path)
	}
	if c.domain != domain {
		bad = append(bad, "Domain="+c.domain)
	}
	if c.sameSiteNone {
		bad = append(bad, "SameSite=None")
	}
	return bad
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
