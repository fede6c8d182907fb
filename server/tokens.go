package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// Revocations are the CLI token revocations admins made, shared by every
// replica: each token for a key issued before the key's cutoff is refused.
// Keys are "sub:" plus a subject or "user:" plus a username. A file
// (internal/revocation) serves replicas sharing a directory; a shared
// database can take its place.
type Revocations interface {
	Cutoff(ctx context.Context, key string) (time.Time, error)
	Revoke(ctx context.Context, key string, before time.Time) error
}

// adminTokenMaxAge is how old a CLI token may be for admin work. A token
// lives 12 hours so that data scientists sign in once a day; an admin token
// that leaked from a laptop should not rewrite the mapping all that time,
// so admin calls want a sign-in of the last hour (the browser's SSO makes
// that one confirmation click).
const adminTokenMaxAge = time.Hour

func revocationKeys(id abac.Identity) []string {
	return []string{"sub:" + id.Subject, "user:" + id.Username}
}

// checkRevoked refuses a verified token an admin has revoked. A store that
// cannot be read refuses too: the revocation may be exactly what it holds.
func (s *Server) checkRevoked(c echo.Context, v auth.Verified) error {
	if s.cfg.Revocations == nil {
		return nil
	}
	for _, key := range revocationKeys(v.Identity) {
		cutoff, err := s.cfg.Revocations.Cutoff(c.Request().Context(), key)
		if err != nil {
			return &api.Error{Kind: api.KindUnavailable, Code: api.CodeRevocationsUnavailable, Err: err,
				Message: "The broker cannot check whether your secds token was revoked, so it refuses it for now. Try again in a minute; if it persists, tell the platform team."}
		}
		// iat has whole seconds: a token issued in the second of the
		// revocation counts as revoked.
		if !cutoff.IsZero() && v.IssuedAt.Before(cutoff) {
			s.record(audit.Event{Type: audit.TypeToken, Decision: audit.Denied, Code: string(api.CodeTokenRevoked), Subject: v.Identity.Subject,
				Username: v.Identity.Username, TokenID: v.ID, Path: c.Request().Method + " " + c.Request().URL.Path,
				ClientIP: c.RealIP(), RequestID: requestID(c), Via: "api"})
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="secds", error="invalid_token"`)
			return &api.Error{Kind: api.KindUnauthenticated, Code: api.CodeTokenRevoked,
				Message: "Your secds token was revoked by an admin. Run secds login to sign in again."}
		}
	}
	return nil
}

// requireFreshToken refuses admin work with a CLI token older than
// adminTokenMaxAge. Browser sessions are not concerned: the admin page runs
// on the session the person is looking at.
func (s *Server) requireFreshToken(c echo.Context) error {
	v := authOf(c).Token
	if v == nil || s.now().Sub(v.IssuedAt) <= adminTokenMaxAge {
		return nil
	}
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="secds", error="invalid_token"`)
	return &api.Error{Kind: api.KindUnauthenticated, Code: api.CodeFreshLoginRequired,
		Message: "Admin actions need a fresh sign-in (within the last hour): run secds login, then try again."}
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

const maxRevokeKey = 512

// POST /api/v1/admin/tokens/revoke: refuse every CLI token of a person
// issued until now, on every replica. Their browser sessions and their
// place in the mapping are unchanged; they can sign in again.
func (s *Server) apiRevokeTokens(c echo.Context) error {
	admin := identityOf(c)
	if s.cfg.Tokens == nil {
		return errCLILoginOff
	}
	if s.cfg.Revocations == nil {
		return &api.Error{Kind: api.KindNotConfigured, Code: api.CodeRevocationUnavailable,
			Message: "This broker has no revocation store (it serves a fixed mapping without a state directory), so tokens cannot be revoked here; rotate the token keys instead."}
	}
	var req api.RevokeRequest
	if err := decodeJSONLike(c, &req, `{"username":"alice"} or {"subject":"…"}`); err != nil {
		return err
	}
	req.Username, req.Subject = strings.TrimSpace(req.Username), strings.TrimSpace(req.Subject)
	if (req.Username == "") == (req.Subject == "") || len(req.Username) > maxRevokeKey || len(req.Subject) > maxRevokeKey {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadRequest,
			Message: `Name exactly one person: {"username":"alice"} or {"subject":"…"} (the "sub" of their audit events).`}
	}
	key, who := "user:"+req.Username, req.Username
	if req.Subject != "" {
		key, who = "sub:"+req.Subject, "sub "+req.Subject
	}
	// Whole seconds up: a token's iat is whole seconds, so every token
	// issued up to now is before the cutoff.
	before := s.now().Truncate(time.Second).Add(time.Second).UTC()
	ev := audit.Event{Type: audit.TypeToken, Code: "tokens_revoked", Subject: admin.Subject, Username: admin.Username, For: who,
		Path: c.Request().URL.Path, ClientIP: c.RealIP(), RequestID: requestID(c), Via: "api", TokenID: tokenID(c)}
	if err := s.cfg.Revocations.Revoke(c.Request().Context(), key, before); err != nil {
		ev.Decision, ev.Reason = audit.Failed, "the revocation store cannot be written"
		s.record(ev)
		return &api.Error{Kind: api.KindUnavailable, Code: api.CodeRevocationFailed, Err: err,
			Message: "The revocation could not be stored, so nothing was revoked. Check the broker's log; as a last resort, rotate the token keys."}
	}
	ev.Decision = audit.Granted
	s.record(ev)
	return c.JSON(http.StatusOK, api.RevokeResponse{Username: req.Username, Subject: req.Subject, RevokedBefore: before})
}
