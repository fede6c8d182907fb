package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
)

// Sessions and CLI tokens carry only the groups and claims the live mapping
// reads (abac.Mapping.Keep), so that an Entra ID user with hundreds of groups
// fits a cookie. When the mapping later reads something a session did not
// keep, the session is stale: the browser signs in again (silently, with the
// provider's SSO) and the CLI is told to run secds login. A stale session is
// never evaluated, so no exclude rule is skipped for a claim it lacks.

// errSessionStale is a session that no longer carries what the mapping
// reads. It is an auth.ErrNoSession, so every page that sends a signed-out
// browser to sign-in does so for it too, keeping where it was going.
var errSessionStale = fmt.Errorf("%w: it predates a change to the team mapping", auth.ErrNoSession)

const staleMessage = "Your sign-in predates a change to the team mapping, which now uses groups or claims your sign-in did not keep. Run secds login again (or sign in again in the browser), then retry."

// mapping is the live team mapping, or nil when the server has none.
func (s *Server) mapping() *abac.Mapping {
	if s.cfg.Mapping == nil {
		return nil
	}
	return s.cfg.Mapping.Mapping()
}

// newSession makes the session cookie of a signed-in identity, cut down to
// what the live mapping reads.
func (s *Server) newSession(id abac.Identity) (*http.Cookie, error) {
	m := s.mapping()
	if m == nil {
		return nil, &api.Error{Kind: api.KindUnavailable, Code: api.CodeMappingUnavailable,
			Message: "The broker has no team mapping loaded, so nobody can sign in yet. Tell the platform team."}
	}
	return s.cfg.Auth.SessionCookie(m.Keep(id))
}

// errorCode is the code of a refusal, else def.
func errorCode(err error, def api.Code) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return string(ae.Code)
	}
	return string(def)
}

// fresh reports whether a session's or token's identity still carries what
// the live mapping reads; without a mapping, nothing is.
func (s *Server) fresh(c echo.Context, id abac.Identity, via string) bool {
	m := s.mapping()
	if m != nil && m.Carries(id) {
		return true
	}
	s.log.Info("stale session", "request_id", requestID(c), "via", via, "sub", id.Subject, "kept", id.Kept)
	return false
}

func staleAPIError(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="secds", error="invalid_token"`)
	return &api.Error{Kind: api.KindUnauthenticated, Code: api.CodeSessionStale, Message: staleMessage, Err: errSessionStale}
}

func isStale(err error) bool { return errors.Is(err, errSessionStale) }
