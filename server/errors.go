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
	"github.com/secds/secds/broker"
)

// problem is an error as a user sees it.
type problem struct {
	Status     int
	Code       string
	Title      string
	Message    string
	RetryAfter int
	SignIn     bool // offer to sign in again
	Problems   any  // detail for API clients: a mapping's mistakes
}

var kindStatus = map[broker.Kind]int{
	broker.KindInternal:    http.StatusInternalServerError,
	broker.KindBadRequest:  http.StatusBadRequest,
	broker.KindDenied:      http.StatusForbidden,
	broker.KindNotFound:    http.StatusNotFound,
	broker.KindConflict:    http.StatusConflict,
	broker.KindUnavailable: http.StatusServiceUnavailable,
}

var codeTitle = map[string]string{
	"no_team":            "You are not in a team yet",
	"team_not_allowed":   "That team is not yours",
	"notebook_not_found": "Notebook not found",
	"identity_unusable":  "Your account cannot be used as it is",
	"no_notebook":        "No notebook for you yet",
	"notebook_stopped":   "The notebook is stopped",
	"notebook_starting":  "The notebook is starting",
	"aws_denied":         "AWS refused access",
}

// toProblem classifies any error a handler returns.
func toProblem(err error) problem {
	var be *broker.Error
	var ae *auth.Error
	var he *echo.HTTPError
	var api *apiError
	var le *limitError
	var ps abac.Problems
	switch {
	case errors.As(err, &ps) && len(ps) > 0:
		return invalidMapping(ps)
	case errors.As(err, &le):
		return le.problem()
	case errors.As(err, &api):
		return problem{Status: api.Status, Code: api.Code, Title: http.StatusText(api.Status), Message: api.Message, SignIn: api.Status == http.StatusUnauthorized}
	case errors.As(err, &be):
		p := problem{Status: kindStatus[be.Kind], Code: be.Code, Message: be.Message, RetryAfter: int(be.RetryAfter.Seconds())}
		p.Title = codeTitle[be.Code]
		if p.Title == "" {
			p.Title = http.StatusText(p.Status)
		}
		return p
	case errors.As(err, &ae):
		if ae.Unavailable {
			return problem{Status: http.StatusServiceUnavailable, Code: ae.Code, Title: "Sign-in is unavailable", Message: ae.Message, RetryAfter: 30, SignIn: true}
		}
		return problem{Status: http.StatusBadRequest, Code: ae.Code, Title: "Sign-in failed", Message: ae.Message, SignIn: true}
	case errors.Is(err, auth.ErrNoSession):
		return problem{Status: http.StatusUnauthorized, Code: "not_signed_in", Title: "Please sign in", Message: "You are not signed in, or your session has ended. Sign in again.", SignIn: true}
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if he.Code == http.StatusNotFound {
			msg = "There is no page here. Go to the start page."
		}
		return problem{Status: he.Code, Code: strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_"), Title: http.StatusText(he.Code), Message: msg}
	}
	return problem{Status: http.StatusInternalServerError, Code: "internal", Title: "Something went wrong",
		Message: "Something went wrong on our side. Try again; if it keeps happening, tell the platform team the request ID."}
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
		body := map[string]any{"error": map[string]string{"code": p.Code, "message": p.Message, "request_id": rid}}
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
