package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
)

// problem is an error as a user sees it.
type problem struct {
	Status     int
	Code       api.Code
	Title      string
	Message    string
	RetryAfter int
	SignIn     bool // offer to sign in again
	Problems   any  // detail for API clients: a mapping's mistakes
}

// wire is p as a refusal reported inside a successful answer.
func (p problem) wire() *api.Problem {
	return &api.Problem{Status: p.Status, Code: p.Code, Message: p.Message}
}

// toProblem classifies any error a handler returns.
func toProblem(err error) problem {
	var ae *api.Error
	var he *echo.HTTPError
	var ps abac.Problems
	switch {
	case errors.As(err, &ps) && len(ps) > 0:
		return invalidMapping(ps)
	case errors.As(err, &ae):
		return problemOf(ae)
	case errors.Is(err, auth.ErrNoSession):
		return problemOf(&api.Error{Kind: api.KindUnauthenticated, Code: api.CodeNotSignedIn, Message: "You are not signed in, or your session has ended. Sign in again."})
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if he.Code == http.StatusNotFound {
			msg = "There is no page here. Go to the start page."
		}
		return problem{Status: he.Code, Code: api.Code(strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")), Title: http.StatusText(he.Code), Message: msg}
	}
	return problemOf(api.As(err))
}

// problemOf is how a refusal looks: the status of its kind, the title of
// its code, and an offer to sign in again where that is the fix.
func problemOf(e *api.Error) problem {
	status := e.Kind.Status()
	return problem{Status: status, Code: e.Code, Title: e.Title(), Message: e.Message, RetryAfter: e.RetryAfterSeconds(),
		SignIn: e.Code.SignIn() || status == http.StatusUnauthorized}
}

// handleError is echo's one HTTPErrorHandler: it logs the cause for
// operators and shows the user a message, as JSON to API clients and as a
// page to browsers. Causes are our own wrapped errors and never hold secrets.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := toProblem(err)
	rid := requestID(c)
	level := slog.LevelInfo
	if p.Status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(c.Request().Context(), level, "request failed", "request_id", rid, "path", c.Request().URL.Path, "status", p.Status, "code", p.Code, "err", err.Error())
	if p.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	var werr error
	if wantsJSON(c) {
		body := map[string]any{"error": map[string]string{"code": string(p.Code), "message": p.Message, "request_id": rid}}
		if p.Problems != nil {
			body["problems"] = p.Problems
		}
		werr = c.JSON(p.Status, body)
	} else {
		werr = s.render(c, p.Status, "error", map[string]any{"Problem": p, "RequestID": rid, "Next": c.Request().URL.RequestURI()})
	}
	if werr != nil {
		s.log.Error("write error response", "request_id", rid, "err", werr)
		if !c.Response().Committed {
			_ = c.String(p.Status, p.Title+": "+p.Message+" (request ID "+rid+")")
		}
	}
}

func wantsJSON(c echo.Context) bool {
	r := c.Request()
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON) && !strings.Contains(r.Header.Get(echo.HeaderAccept), "text/html")
}
