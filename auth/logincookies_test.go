package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/testutil"
)

// jar is the browser's cookie jar, reduced to what matters here.
type jar map[string]*http.Cookie

func (j jar) request() *http.Request {
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/login", nil)
	for _, c := range j {
		req.AddCookie(c)
	}
	return req
}

func (j jar) set(cookies ...*http.Cookie) {
	for _, c := range cookies {
		if c.MaxAge < 0 {
			delete(j, c.Name)
		} else {
			j[c.Name] = c
		}
	}
}

// TestNewLoginExpiresOlderLoginCookies: however often a page sends the
// browser to /login, it holds at most keepOtherLogins+1 login cookies, and
// those are the newest, so a couple of tabs signing in at once still work.
func TestNewLoginExpiresOlderLoginCookies(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	browser := jar{}
	var urls []string
	var cookies []*http.Cookie
	for i := 0; i < 30; i++ {
		r.clock = r.clock.Add(time.Second)
		ls, err := r.a.BeginLogin(ctx, browser.request(), "/"+strings.Repeat("a", 2000))
		if err != nil {
			t.Fatal(err)
		}
		browser.set(ls.Expired...)
		browser.set(ls.Cookie)
		urls, cookies = append(urls, ls.URL), append(cookies, ls.Cookie)
		if len(browser) > 3 {
			t.Fatalf("after %d logins the browser holds %d login cookies, want at most 3", i+1, len(browser))
		}
	}
	size := 0
	for _, c := range browser {
		size += len(c.Name) + len(c.Value) + 3
	}
	if size > 4000 {
		t.Errorf("the login cookies take %d bytes of the Cookie header", size)
	}
	for i := 27; i < 30; i++ {
		if browser[cookies[i].Name] == nil {
			t.Errorf("login %d, one of the newest three, was expired", i+1)
		}
	}
	// Each of the three logins still in progress completes, in any order.
	for _, i := range []int{28, 27, 29} {
		_, next, _, err := r.a.FinishLogin(ctx, callbackRequest(r.signIn(urls[i], "alice"), browser[cookies[i].Name]))
		if err != nil {
			t.Fatalf("login %d: %v", i+1, err)
		}
		if next != "/" {
			t.Errorf("next = %q: a 2 KB next must fall back to /", next)
		}
	}

	t.Run("unreadable login cookies are expired", func(t *testing.T) {
		browser := jar{}
		ls, _ := r.a.BeginLogin(ctx, nil, "/")
		browser.set(ls.Cookie)
		forged := *ls.Cookie
		forged.Name, forged.Value = "secds_login_forged", strings.Repeat("A", 1500)
		browser.set(&forged)
		r.clock = r.clock.Add(11 * time.Minute) // the first one expires too
		ls, _ = r.a.BeginLogin(ctx, browser.request(), "/")
		browser.set(ls.Expired...)
		browser.set(ls.Cookie)
		if len(browser) != 1 || browser[ls.Cookie.Name] == nil {
			t.Errorf("browser holds %d login cookies, want only the new one", len(browser))
		}
	})

	t.Run("other cookies are left alone", func(t *testing.T) {
		ls, _ := r.a.BeginLogin(ctx, jar{"secds_session": {Name: "secds_session", Value: "x"}, "theme": {Name: "theme", Value: "dark"}}.request(), "/")
		if len(ls.Expired) != 0 {
			t.Errorf("expired %v", ls.Expired)
		}
	})

	t.Run("on https the expiring cookies carry the __Host- name", func(t *testing.T) {
		a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: r.idp.Issuer(), ClientID: "broker", ClientSecret: "s3cret-for-tests",
			RedirectURL: redirectURL, Keys: [][]byte{make([]byte, auth.KeySize)}, Secure: true}))
		if err != nil {
			t.Fatal(err)
		}
		browser := jar{}
		for i := 0; i < 5; i++ {
			ls, err := a.BeginLogin(ctx, browser.request(), "/")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ls.Expired {
				if !strings.HasPrefix(c.Name, "__Host-secds_login_") || !c.Secure || c.Path != "/" {
					t.Errorf("expiring cookie %+v would not reach the __Host- cookie", c)
				}
			}
			browser.set(ls.Expired...)
			browser.set(ls.Cookie)
		}
		if len(browser) != 3 {
			t.Errorf("browser holds %d login cookies, want 3", len(browser))
		}
	})
}

func TestNextIsCapped(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, tc := range []struct {
		next, want string
	}{
		{"/" + strings.Repeat("a", 511), "/" + strings.Repeat("a", 511)},
		{"/" + strings.Repeat("a", 512), "/"},
		{"https://evil.example/", "/"},
	} {
		authURL, cookie, err := begin(r.a, tc.next)
		if err != nil {
			t.Fatal(err)
		}
		if len(cookie.Value) > 1200 {
			t.Errorf("next of %d bytes: login cookie of %d bytes", len(tc.next), len(cookie.Value))
		}
		_, next, _, err := r.a.FinishLogin(ctx, callbackRequest(r.signIn(authURL, "alice"), cookie))
		if err != nil {
			t.Fatal(err)
		}
		if next != tc.want {
			t.Errorf("next of %d bytes came back as %d bytes, want %d", len(tc.next), len(next), len(tc.want))
		}
	}
}
