package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
)

const (
	// CSRFHeader carries the CSRF token on API calls that ride the browser
	// session cookie.
	CSRFHeader  = "X-CSRF-Token"
	csrfPurpose = "csrf"
	// The binding to the session makes a CSRF token die with its session;
	// this only bounds a token kept beyond that.
	csrfTTL = 24 * time.Hour

	apiAuthKey = "secds.api_auth"
	bearerKey  = "secds.bearer"
)

// bearerResult is a request's bearer token, verified once: the rate
// limiter keys its per-user bucket by it and the API guard then judges it,
// so it is verified (and its cache looked up) once per request, not twice.
type bearerResult struct {
	raw string
	v   auth.Verified
	err error
}

// verifyBearer verifies raw (the Authorization header's token, trimmed
// here) with the broker's token keys, once per request.
func (s *Server) verifyBearer(c echo.Context, raw string) (auth.Verified, error) {
	raw = strings.TrimSpace(raw)
	if r, ok := c.Get(bearerKey).(*bearerResult); ok && r.raw == raw {
		return r.v, r.err
	}
	v, err := s.cfg.Tokens.Verify(raw)
	c.Set(bearerKey, &bearerResult{raw: raw, v: v, err: err})
	return v, err
}

// apiAuth is how a request was authenticated, for handlers that say so
// (GET /api/v1/me hands out the CSRF token only to sessions).
type apiAuth struct {
	Via     string         // "token" or "session"
	Token   *auth.Verified // when Via is "token"
	Session *auth.Session  // when Via is "session"
}

// apiIdentity authenticates an API request, with a broker token
// (Authorization: Bearer) or with the browser session cookie. A request that
// carries a bearer token is judged by the token alone, never by a cookie
// beside it. On the cookie path, a method that changes anything also needs
// the session's CSRF token in X-CSRF-Token and must come from the broker's
// own pages (fromOwnPages). It is the guard of the API audiences (apiUser
// in routes.go), the admin API's included.
func (s *Server) apiIdentity(c echo.Context) (abac.Identity, error) {
	r := c.Request()
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		return s.bearerIdentity(c, h)
	}
	sess, err := s.browserSession(c)
	if isStale(err) {
		return abac.Identity{}, staleAPIError(c)
	}
	if err != nil {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="secds"`)
		return abac.Identity{}, &api.Error{Kind: api.KindUnauthenticated, Code: api.CodeNotSignedIn,
			Message: "You are not signed in. Run secds login (or sign in at " + s.cfg.PublicURL.String() + " in the browser), then try again.", Err: err}
	}
	if !safeMethod(r.Method) {
		if !s.fromOwnPages(r) {
			return abac.Identity{}, &api.Error{Kind: api.KindForbidden, Code: api.CodeCSRFFailed,
				Message: "Cross-site API calls with the browser session are refused. Call the API from the broker's own pages, or with a broker token."}
		}
		if err := s.checkCSRF(sess, r.Header.Get(CSRFHeader)); err != nil {
			return abac.Identity{}, err
		}
	}
	c.Set(apiAuthKey, apiAuth{Via: "session", Session: sess})
	return sess.Identity, nil
}

func (s *Server) bearerIdentity(c echo.Context, header string) (abac.Identity, error) {
	refuse := func(code api.Code, msg string, err error) (abac.Identity, error) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="secds", error="invalid_token"`)
		return abac.Identity{}, &api.Error{Kind: api.KindUnauthenticated, Code: code, Message: msg, Err: err}
	}
	scheme, raw, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return refuse(api.CodeTokenInvalid, "The Authorization header must be \"Bearer <token>\" with a token from secds login.", nil)
	}
	if s.cfg.Tokens == nil {
		return refuse(api.CodeCLILoginDisabled, "This broker accepts no CLI tokens: it has no token keys. Tell the platform team to set tokens.keys_file or SECDS_TOKEN_KEYS.", nil)
	}
	v, err := s.verifyBearer(c, raw)
	switch {
	case errors.Is(err, auth.ErrTokenExpired):
		return refuse(api.CodeTokenExpired, "Your secds login has expired. Run secds login, then try again.", err)
	case err != nil:
		return refuse(api.CodeTokenInvalid, "Your secds token is not valid for this broker (it may predate a key rotation, or be for another broker). Run secds login, then try again.", err)
	}
	if !s.fresh(c, v.Identity, "token") {
		return abac.Identity{}, staleAPIError(c)
	}
	c.Set(apiAuthKey, apiAuth{Via: "token", Token: &v})
	if err := s.checkRevoked(c, v); err != nil {
		return abac.Identity{}, err
	}
	return v.Identity, nil
}

// csrfBinding ties a CSRF token to one session: the same person signing in
// again gets a new session and needs a new token.
type csrfBinding struct {
	Subject  string `json:"s"`
	IssuedAt int64  `json:"t"`
}

// csrfToken returns a CSRF token for sess. It is sealed with the cookie keys
// rather than stored, so any replica can check it.
func (s *Server) csrfToken(sess *auth.Session) (string, error) {
	return s.cfg.Auth.Codec().Seal(csrfPurpose, csrfBinding{Subject: sess.Identity.Subject, IssuedAt: sess.IssuedAt.UnixNano()}, csrfTTL)
}

func (s *Server) checkCSRF(sess *auth.Session, token string) error {
	var b csrfBinding
	if token == "" {
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeCSRFFailed,
			Message: "This call needs the " + CSRFHeader + " header; take csrf_token from GET /api/v1/me."}
	}
	if err := s.cfg.Auth.Codec().Open(csrfPurpose, token, &b); err != nil || b.Subject != sess.Identity.Subject || b.IssuedAt != sess.IssuedAt.UnixNano() {
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeCSRFFailed, Err: err,
			Message: "The " + CSRFHeader + " header does not belong to this session; take a fresh csrf_token from GET /api/v1/me."}
	}
	return nil
}

// csrfField is the form field that carries the CSRF token in the broker's
// own forms (sign out, the admin page).
const csrfField = "csrf_token"

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// tokenID is the jti of the CLI token the request was authenticated with,
// for its audit events; "" for a browser session.
func tokenID(c echo.Context) string {
	if v := authOf(c).Token; v != nil {
		return v.ID
	}
	return ""
}

// authOf returns how apiIdentity authenticated the request.
func authOf(c echo.Context) apiAuth {
	a, _ := c.Get(apiAuthKey).(apiAuth)
	return a
}
