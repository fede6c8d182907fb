package server

import (
	"errors"
	"fmt"
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
		return problem{Status: he.Code, Code: api.Code(strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")),
			Title: api.StatusTitle(he.Code), Message: echoMessage(he.Code)}
	}
	return problemOf(api.As(err))
}

// echoMessage is what a person is told of a refusal by echo itself (no
// route, a method the route does not take, a body over the limit).
func echoMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "There is no page here. Go to the start page."
	case http.StatusMethodNotAllowed:
		return "This address does not take that kind of request (a form sent to a page that only shows, for one). Go to the start page and follow its links."
	case http.StatusRequestEntityTooLarge:
		return "The request is larger than the broker accepts."
	}
	if status >= 500 {
		return fmt.Sprintf("Something went wrong on our side (status %d). Try again; if it keeps happening, tell the platform team the request ID.", status)
	}
	return fmt.Sprintf("The broker could not handle this request (status %d). Go to the start page and try again from there.", status)
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
		data := map[string]any{"Problem": p, "RequestID": rid, "Next": c.Request().URL.RequestURI()}
		// A refused person sees which account they are using, and can
		// switch (the header's sign-out, and "Sign in as someone else").
		if sess, err := s.browserSession(c); err == nil {
			data["Identity"] = sess.Identity
		}
		werr = s.render(c, p.Status, "error", data)
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
