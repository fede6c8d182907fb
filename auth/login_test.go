package auth_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/dev/devidp"
	"github.com/secds/secds/internal/testutil"
)

const redirectURL = "http://127.0.0.1:1/callback" // never dialled: the test plays the browser

// rig is a real identity provider (the dev one, spoken to by go-oidc and
// x/oauth2) and an Authenticator with a movable clock.
type rig struct {
	t     *testing.T
	idp   *devidp.Provider
	a     *auth.Authenticator
	clock time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	idp, err := devidp.New(devidp.Config{
		Issuer:  issuer,
		Clients: []devidp.Client{{ID: "broker", Secret: "s3cret-for-tests", RedirectURIs: []string{redirectURL}}},
		Users: append(devidp.DemoUsers(), devidp.User{Username: "kc", Email: "kc@example.com",
			Extra: map[string]any{"realm_access": map[string]any{"roles": []string{"ds-fraud", "offline_access"}}}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(idp.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	r := &rig{t: t, idp: idp, clock: time.Now()}
	r.a = r.authenticator(auth.ClaimPaths{})
	return r
}

func (r *rig) authenticator(paths auth.ClaimPaths) *auth.Authenticator {
	key := make([]byte, auth.KeySize)
	a, err := auth.New(testutil.AuthConfig(auth.Config{
		Issuer: r.idp.Issuer(), ClientID: "broker", ClientSecret: "s3cret-for-tests", RedirectURL: redirectURL,
		Claims: paths, Keys: [][]byte{key}, Now: func() time.Time { return r.clock },
	}))
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

var (
	actionRE = regexp.MustCompile(`action="([^"]+)"`)
	reqRE    = regexp.MustCompile(`name="req" value="([^"]+)"`)
)

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// signIn plays the browser at the provider: it opens authURL, picks the user
// and returns the callback URL the provider redirects to.
func (r *rig) signIn(authURL, username string) *url.URL {
	r.t.Helper()
	resp, err := noFollow.Get(authURL)
	if err != nil {
		r.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action, req := actionRE.FindStringSubmatch(string(body)), reqRE.FindStringSubmatch(string(body))
	if action == nil || req == nil {
		r.t.Fatalf("no login form at the provider (status %d): %s", resp.StatusCode, body)
	}
	target, _ := resp.Request.URL.Parse(html.UnescapeString(action[1]))
	resp, err = noFollow.PostForm(target.String(), url.Values{"req": {html.UnescapeString(req[1])}, "username": {username}})
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(cb.String(), redirectURL) {
		r.t.Fatalf("provider redirected to %q", resp.Header.Get("Location"))
	}
	return cb
}

// begin starts a login from a browser that holds no other login cookies.
func begin(a *auth.Authenticator, next string) (string, *http.Cookie, error) {
	ls, err := a.BeginLogin(context.Background(), nil, next)
	return ls.URL, ls.Cookie, err
}

func callbackRequest(cb *url.URL, cookies ...*http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodGet, cb.String(), nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

func TestLoginRoundTrip(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	authURL, cookie, err := begin(r.a, "/open?notebook=fraud-alice")
	if err != nil {
		t.Fatal(err)
	}
	q := mustParse(t, authURL).Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("auth URL lacks PKCE S256, nonce or state: %s", authURL)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge != 600 || strings.Contains(cookie.Value, q.Get("nonce")) {
		t.Errorf("login cookie = %+v; want HttpOnly, Lax, 10 minutes and sealed", cookie)
	}
	cb := r.signIn(authURL, "alice")
	id, next, clear, err := r.a.FinishLogin(ctx, callbackRequest(cb, cookie))
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "alice" || id.Email != "alice@example.com" || strings.Join(id.Groups, ",") != "ds-fraud" || id.Subject != "dev-alice" {
		t.Errorf("identity = %+v", id)
	}
	if next != "/open?notebook=fraud-alice" {
		t.Errorf("next = %q", next)
	}
	if clear == nil || clear.MaxAge >= 0 || clear.Name != cookie.Name {
		t.Errorf("the login cookie is not cleared: %+v", clear)
	}

	sess, err := r.a.SessionCookie(id)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.HttpOnly || sess.Secure || sess.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie attributes = %+v", sess)
	}
	got, err := r.a.Session(callbackRequest(cb, sess))
	if err != nil || got.Identity.Username != "alice" {
		t.Fatalf("session = %+v, %v", got, err)
	}
}

func TestCallbackRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// run starts a login, tampers with it and returns the callback request.
		run  func(r *rig) *http.Request
		code string
	}{
		{"state mismatch", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			cb := r.signIn(authURL, "alice")
			q := cb.Query()
			q.Set("state", q.Get("state")[:12]+"tampered")
			cb.RawQuery = q.Encode()
			return callbackRequest(cb, cookie) // same cookie name prefix, different state
		}, "state_mismatch"},
		{"no login cookie (another browser)", func(r *rig) *http.Request {
			authURL, _, _ := begin(r.a, "/")
			return callbackRequest(r.signIn(authURL, "alice"))
		}, "login_expired"},
		{"nonce mismatch (a token minted for another login)", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			u := mustParse(r.t, authURL)
			q := u.Query()
			q.Set("nonce", "attacker-chosen-nonce")
			u.RawQuery = q.Encode()
			return callbackRequest(r.signIn(u.String(), "alice"), cookie)
		}, "nonce_mismatch"},
		{"expired login cookie", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			cb := r.signIn(authURL, "alice")
			r.clock = r.clock.Add(11 * time.Minute)
			return callbackRequest(cb, cookie)
		}, "login_expired"},
		{"tampered login cookie", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			cb := r.signIn(authURL, "alice")
			c := *cookie
			c.Value = c.Value[:len(c.Value)-4] + "AAAA"
			return callbackRequest(cb, &c)
		}, "login_expired"},
		{"genuine cookie of another login", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			_, other, _ := begin(r.a, "/")
			cb := r.signIn(authURL, "alice")
			c := *other
			c.Name = cookie.Name // renamed to match; its sealed state still differs
			return callbackRequest(cb, &c)
		}, "state_mismatch"},
		{"provider error", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			return callbackRequest(errorCallback(r, authURL, "access_denied", "<script>"), cookie)
		}, "idp_refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			_, _, _, err := r.a.FinishLogin(ctx, tc.run(r))
			var ae *api.Error
			if !errors.As(err, &ae) || string(ae.Code) != tc.code {
				t.Fatalf("err = %v, want an api.Error %s", err, tc.code)
			}
		})
	}
}

func TestReplayedCallbackIsRefused(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	authURL, cookie, _ := begin(r.a, "/")
	cb := r.signIn(authURL, "alice")
	if _, _, _, err := r.a.FinishLogin(ctx, callbackRequest(cb, cookie)); err != nil {
		t.Fatal(err)
	}
	// An attacker who captured both the callback URL and the login cookie
	// still cannot sign in again: the provider spends a code once.
	_, _, _, err := r.a.FinishLogin(ctx, callbackRequest(cb, cookie))
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != "code_refused" {
		t.Fatalf("replay err = %v, want code_refused", err)
	}
}

func TestClaimPathsFromConfig(t *testing.T) {
	r := newRig(t)
	r.a = r.authenticator(auth.ClaimPaths{Username: "email", Groups: "realm_access.roles"})
	ctx := context.Background()
	authURL, cookie, _ := begin(r.a, "/")
	id, _, _, err := r.a.FinishLogin(ctx, callbackRequest(r.signIn(authURL, "kc"), cookie))
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "kc@example.com" || strings.Join(id.Groups, ",") != "ds-fraud,offline_access" {
		t.Errorf("identity = %+v", id)
	}
}

func TestProviderDownAtLogin(t *testing.T) {
	r := newRig(t)
	r.idp.SetDown(true)
	_, _, err := begin(r.a, "/")
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Kind != api.KindUnavailable {
		t.Fatalf("err = %v, want an unavailable api.Error", err)
	}
	r.idp.SetDown(false)
	r.clock = r.clock.Add(6 * time.Second)
	if _, _, err := begin(r.a, "/"); err != nil {
		t.Fatalf("after the provider came back: %v", err)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCookiesOnTLS(t *testing.T) {
	r := newRig(t)
	a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: r.idp.Issuer(), ClientID: "broker", ClientSecret: "s3cret-for-tests",
		RedirectURL: "https://broker.example/callback", Keys: [][]byte{make([]byte, auth.KeySize)}, Secure: true}))
	if err != nil {
		t.Fatal(err)
	}
	_, login, err := begin(a, "/")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := a.SessionCookie(abac.Identity{Subject: "dev-alice", Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*http.Cookie{login, sess, a.ClearSessionCookie()} {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %+v: want __Host- prefix, Secure, HttpOnly, Path=/, no Domain, SameSite=Lax", c)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "https://broker.example/", nil)
	req.AddCookie(sess)
	if s, err := a.Session(req); err != nil || s.Identity.Username != "alice" {
		t.Fatalf("session on TLS: %v %v", s, err)
	}
}

// TestLoginRoundTripOnTLS completes a sign-in with Secure cookies: the
// callback must read the __Host- login cookie BeginLogin set, and must not
// accept the bare name, which a sibling subdomain could plant.
func TestLoginRoundTripOnTLS(t *testing.T) {
	r := newRig(t)
	a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: r.idp.Issuer(), ClientID: "broker", ClientSecret: "s3cret-for-tests",
		RedirectURL: redirectURL, Keys: [][]byte{make([]byte, auth.KeySize)}, Secure: true}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authURL, cookie, err := begin(a, "/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cookie.Name, "__Host-") {
		t.Fatalf("login cookie %q has no __Host- prefix", cookie.Name)
	}
	bare := *cookie
	bare.Name = strings.TrimPrefix(cookie.Name, "__Host-")
	if _, _, _, err := a.FinishLogin(ctx, callbackRequest(r.signIn(authURL, "alice"), &bare)); err == nil {
		t.Fatal("a login cookie without the __Host- prefix was accepted")
	}

	authURL, cookie, err = begin(a, "/")
	if err != nil {
		t.Fatal(err)
	}
	id, _, clear, err := a.FinishLogin(ctx, callbackRequest(r.signIn(authURL, "alice"), cookie))
	if err != nil {
		t.Fatalf("sign-in over https: %v", err)
	}
	if id.Username != "alice" || clear == nil || clear.Name != cookie.Name || !clear.Secure {
		t.Errorf("identity %+v, clearing cookie %+v", id, clear)
	}
}
