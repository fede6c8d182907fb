package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

const (
	loginPurpose      = "login"
	loginCookiePrefix = "secds_login_"

	// MaxIDTokenBytes bounds the ID token the broker parses. An Entra ID
	// token with 500 group object IDs (36 characters each, 39 with quotes
	// and comma) is about 20 KB of JSON, 27 KB once base64-encoded and
	// signed; 64 KiB leaves more than twice that, while a token endpoint
	// that answers with megabytes costs no JSON parsing or signature check.
	MaxIDTokenBytes = 64 << 10
)

// loginState is what the login cookie carries across the round trip.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Started  int64  `json:"t"` // Unix nanoseconds, to find the newest logins
}

const (
	// maxNext bounds the path a login returns to. Bookmarks are short
	// (/open?notebook= plus a 63-character name); a longer next= only makes
	// the login cookie bigger, which a cross-site page can use to fill the
	// browser's cookie header (see keepOtherLogins).
	maxNext = 512

	// keepOtherLogins is how many earlier logins in progress a new login
	// leaves alone: two more tabs may sign in at once. Older ones are
	// expired, so that a page that sends the browser to /login over and
	// over cannot pile up login cookies until the broker answers every
	// request with 431 (each is about 1 KB with next capped; three stay far
	// below the 8 KB many proxies allow for a header).
	keepOtherLogins = 2

	// maxLoginCookiesRead bounds the work a request with many login
	// cookies costs: beyond it they are expired unread.
	maxLoginCookiesRead = 16
)

// LoginStart is a login begun by BeginLogin.
type LoginStart struct {
	URL     string         // the identity provider's URL to redirect to
	Cookie  *http.Cookie   // carries state, nonce, PKCE verifier and next
	Expired []*http.Cookie // end older login cookies the browser still holds
}

// BeginLogin starts a login that returns to next (made safe with SafeNext).
// r is the request that starts it, for the login cookies the browser
// already holds (nil for none): all but the newest keepOtherLogins are
// expired. The new cookie is named after the state, so logins in several
// tabs do not overwrite each other.
func (a *Authenticator) BeginLogin(ctx context.Context, r *http.Request, next string) (LoginStart, error) {
	p, err := a.discover(ctx)
	if err != nil {
		return LoginStart{}, err
	}
	st := loginState{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Next: SafeNext(next), Started: a.now().UnixNano()}
	sealed, err := a.codec.Seal(loginPurpose, st, a.cfg.LoginTTL)
	if err != nil {
		return LoginStart{}, err
	}
	return LoginStart{
		URL:     a.oauth2Config(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)),
		Cookie:  a.cookie(loginCookieName(st.State), sealed, int(a.cfg.LoginTTL.Seconds())),
		Expired: a.olderLogins(r),
	}, nil
}

// olderLogins returns the cookies that expire r's login cookies but the
// newest keepOtherLogins. Cookies that do not open (expired, tampered,
// sealed with a retired key) go first.
func (a *Authenticator) olderLogins(r *http.Request) []*http.Cookie {
	if r == nil {
		return nil
	}
	type login struct {
		name    string
		started int64
	}
	var live []login
	var expire []*http.Cookie
	prefix, seen := a.cookieName(loginCookiePrefix), map[string]bool{}
	for _, c := range r.Cookies() {
		if !strings.HasPrefix(c.Name, prefix) || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		var st loginState
		if len(seen) > maxLoginCookiesRead || a.codec.Open(loginPurpose, c.Value, &st) != nil {
			expire = append(expire, a.cookie(c.Name, "", -1))
			continue
		}
		live = append(live, login{c.Name, st.Started})
	}
	slices.SortFunc(live, func(x, y login) int {
		return cmp.Or(cmp.Compare(y.started, x.started), strings.Compare(x.name, y.name))
	})
	for i := keepOtherLogins; i < len(live); i++ {
		expire = append(expire, a.cookie(live[i].name, "", -1))
	}
	return expire
}

// FinishLogin completes the round trip at the callback: it checks state
// against the login cookie, then the issuer of the response (RFC 9207),
// redeems the code with the PKCE verifier, verifies the ID token (issuer,
// audience, expiry, signature) and its nonce. It returns the identity, where
// to go next, and the cookie that clears the login state.
//
// An error response from the provider is looked at only after the state
// check: until then it may come from anyone who can send the browser a
// link, and its text reaches neither the page nor the audit trail.
func (a *Authenticator) FinishLogin(ctx context.Context, r *http.Request) (abac.Identity, string, *http.Cookie, error) {
	q := r.URL.Query()
	state := q.Get("state")
	// Read the name BeginLogin set: on https that is the __Host- name, and
	// accepting the bare name too would let a sibling subdomain plant one.
	c, err := r.Cookie(a.cookieName(loginCookieName(state)))
	if state == "" || err != nil {
		return abac.Identity{}, "", nil, loginExpired(nil)
	}
	clear := a.cookie(c.Name, "", -1)
	var st loginState
	if err := a.codec.Open(loginPurpose, c.Value, &st); err != nil {
		return abac.Identity{}, "", clear, loginExpired(err)
	}
	if subtle.ConstantTimeCompare([]byte(st.State), []byte(state)) != 1 {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeStateMismatch, Message: "This sign-in answer does not belong to the sign-in this browser started. Start again."}
	}
	p, err := a.discover(ctx)
	if err != nil {
		return abac.Identity{}, "", clear, err
	}
	if err := a.checkResponseIssuer(q); err != nil {
		return abac.Identity{}, "", clear, err
	}
	if q.Has("error") {
		return abac.Identity{}, "", clear, providerError(q.Get("error"), q.Get("error_description"))
	}
	tok, err := a.oauth2Config(p).Exchange(a.clientContext(ctx), q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeCodeRefused,
			Message: "The identity provider did not accept this sign-in (it may have been used already or taken too long). Start again.",
			Err:     fmt.Errorf("exchange code: %w", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeNoIDToken, Message: "The identity provider sent no ID token; the broker's client may be missing the openid scope. Tell the platform team."}
	}
	if len(raw) > MaxIDTokenBytes {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeIDTokenTooLarge,
			Message: fmt.Sprintf("The identity provider sent an ID token larger than the broker accepts (%d KiB). Tell the platform team: the groups or claims in the token need narrowing.", MaxIDTokenBytes>>10),
			Err:     fmt.Errorf("ID token is %d bytes, more than %d", len(raw), MaxIDTokenBytes)}
	}
	idt, err := a.verifier().Verify(ctx, raw)
	if err != nil {
		return abac.Identity{}, "", clear, tokenInvalid(fmt.Errorf("verify ID token: %w", err))
	}
	if err := a.checkExtra(idt); err != nil {
		return abac.Identity{}, "", clear, tokenInvalid(err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeNonceMismatch, Message: "The identity provider's answer was not made for this sign-in. Start again."}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeIDTokenInvalid, Message: "The identity provider's ID token could not be read.", Err: err}
	}
	id, err := IdentityFromClaims(claims, a.cfg.Claims)
	if err != nil {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: api.CodeClaimsMissing, Message: "Your account is missing information the broker needs: " + err.Error() + ". Tell the platform team."}
	}
	return id, st.Next, clear, nil
}

// checkExtra makes the OpenID Connect Core §3.1.3.7 checks go-oidc leaves
// out: azp when there are several audiences, iat not in the future, and the
// time claims being JSON numbers.
func (a *Authenticator) checkExtra(idt *oidc.IDToken) error {
	var c struct {
		AZP string `json:"azp"`
	}
	if err := idt.Claims(&c); err != nil {
		return fmt.Errorf("read ID token claims: %w", err)
	}
	if err := checkNumericDates(idt); err != nil {
		return err
	}
	if len(idt.Audience) > 1 && c.AZP == "" {
		return errors.New("ID token has several audiences and no azp")
	}
	if c.AZP != "" && c.AZP != a.cfg.ClientID {
		return fmt.Errorf("ID token azp %q is not this client", c.AZP)
	}
	if idt.IssuedAt.After(a.now().Add(a.cfg.Leeway)) {
		return fmt.Errorf("ID token issued in the future (%s)", idt.IssuedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// numericDates are the ID token's time claims (RFC 7519 §2 NumericDate,
// OpenID Connect Core §2), and whether a token must carry them.
var numericDates = []struct {
	name     string
	required bool
}{{"exp", true}, {"iat", true}, {"nbf", false}, {"auth_time", false}}

// checkNumericDates refuses time claims that are not JSON numbers. go-oidc
// reads "exp": "1796148788" as a number, so a provider (or a bug in one)
// that sends strings would have its times checked by one reading and the
// mapping would see another; no provider that follows the spec sends them.
func checkNumericDates(idt *oidc.IDToken) error {
	var raw map[string]json.RawMessage
	if err := idt.Claims(&raw); err != nil {
		return fmt.Errorf("read ID token claims: %w", err)
	}
	for _, d := range numericDates {
		v, ok := raw[d.name]
		if !ok {
			if d.required {
				return fmt.Errorf("ID token has no %s claim", d.name)
			}
			continue
		}
		// json.Number would take "123" (quoted) and null too.
		var n json.Number
		if len(v) == 0 || v[0] != '-' && (v[0] < '0' || v[0] > '9') || json.Unmarshal(v, &n) != nil {
			return fmt.Errorf("ID token claim %s is not a JSON number", d.name)
		}
	}
	return nil
}

func tokenInvalid(err error) error {
	return &api.Error{Kind: api.KindBadRequest, Code: api.CodeIDTokenInvalid, Message: "The identity provider's answer could not be verified. Start again; if it keeps failing, tell the platform team.", Err: err}
}

func loginExpired(err error) error {
	return &api.Error{Kind: api.KindBadRequest, Code: api.CodeLoginExpired, Message: "This sign-in was not started in this browser, was already used, or took too long. Start again.", Err: err}
}

func loginCookieName(state string) string {
	// The state is random; a prefix of it is enough to keep tabs apart and
	// keeps the name short. Only cookie-safe characters pass.
	var b strings.Builder
	for _, r := range state {
		if b.Len() == 12 {
			break
		}
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return loginCookiePrefix + b.String()
}

// cookieName is the name a cookie of the broker's has on the wire: on https
// the __Host- prefix pins it to this host and path / with Secure. Setting
// and reading a cookie both go through it, so the two cannot disagree.
func (a *Authenticator) cookieName(name string) string {
	if a.cfg.Secure && !strings.HasPrefix(name, "__Host-") {
		return "__Host-" + name
	}
	return name
}

// cookie builds a cookie with the broker's attributes (see cookieName).
func (a *Authenticator) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: a.cookieName(name), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: a.cfg.Secure, SameSite: http.SameSiteLaxMode}
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the platform is broken; nothing secure can follow
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SafeNext returns next if it is a same-site relative path of at most 512
// bytes, else "/". It refuses absolute URLs, scheme-relative "//host" and
// "/\host" forms that browsers treat as another site, and control
// characters.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > maxNext {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
