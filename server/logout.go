package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// Sign-out paths. GET /logout asks, POST /logout signs out (the form carries
// the session's CSRF token), and /signed-out says so: a POST answered with
// 303 to a page, so reloading that page does not post again.
const (
	logoutPath    = "/logout"
	signedOutPath = "/signed-out"
)

func (s *Server) routesLogout(e *echo.Echo) {
	e.GET(logoutPath, s.logoutConfirm)
	e.POST(logoutPath, s.logout)
	e.GET(signedOutPath, s.signedOut)
}

// logoutConfirm is what a link or a typed /logout gets: a page with the
// sign-out button (a GET must not sign anyone out: any page could embed it).
func (s *Server) logoutConfirm(c echo.Context) error {
	sess, err := s.browserSession(c)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, signedOutPath)
	}
	return s.render(c, http.StatusOK, "logout", map[string]any{"Identity": sess.Identity})
}

// logout ends the session. It must come from the broker's own pages
// (fromOwnPages) and carry the session's CSRF token: a cross-site form could
// otherwise sign a person out at will, or, with Origin: null from a
// sandboxed frame, past the Origin check alone.
func (s *Server) logout(c echo.Context) error {
	if !s.fromOwnPages(c.Request()) {
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeCSRFFailed,
			Message: "Signing out from another site is refused. Go to " + s.cfg.PublicURL.String() + logoutPath + " to sign out."}
	}
	sess, err := s.browserSession(c)
	if err == nil {
		if err := s.checkFormCSRF(sess, c.FormValue(csrfField), logoutPath); err != nil {
			return err
		}
		id := sess.Identity
		s.record(audit.Event{Type: audit.TypeLogout, Decision: audit.Granted, Subject: id.Subject, Username: id.Username, ClientIP: c.RealIP(), RequestID: requestID(c), Via: "browser"})
	}
	// Without a session there is nothing to end; the cookie is cleared all
	// the same, in case it is one the broker can no longer open.
	c.SetCookie(s.cfg.Auth.ClearSessionCookie())
	return c.Redirect(http.StatusSeeOther, signedOutPath)
}

// signedOut says the person is signed out and offers to sign in again. With
// a live session (the page was bookmarked, or signed in again in another
// tab) it would not be true, so it asks whether to sign out instead.
func (s *Server) signedOut(c echo.Context) error {
	if _, err := s.browserSession(c); err == nil {
		return c.Redirect(http.StatusSeeOther, logoutPath)
	}
	return s.render(c, http.StatusOK, "loggedout", nil)
}
