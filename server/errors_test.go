package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/internal/ratelimit"
)

// TestErrorRendering: one error handler answers JSON to API clients and a
// page to browsers, with the status of the error, and never shows a stack
// trace or a cause.
func TestErrorRendering(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	const cause = "dial tcp 10.0.0.7:443: SECRET-CAUSE"
	ts.s.echo.GET("/test/internal", func(echo.Context) error { return fmt.Errorf("read secret: %w", errors.New(cause)) })
	ts.s.echo.GET("/api/v1/test/internal", func(echo.Context) error { return errors.New(cause) })
	ts.s.echo.GET("/test/panic", func(echo.Context) error { panic("runtime failure: " + cause) })
	ts.s.echo.GET("/api/v1/test/panic", func(echo.Context) error { panic(errors.New(cause)) })

	for _, tc := range []struct {
		name, path, accept string
		status             int
		json               bool
		code, text         string
	}{
		{"API path: JSON whatever the Accept", "/api/v1/test/internal", "text/html", 500, true, "internal", "Something went wrong on our side"},
		{"a page: HTML", "/test/internal", "text/html,application/xhtml+xml", 500, false, "internal", "Something went wrong"},
		{"a page asked for JSON", "/test/internal", "application/json", 500, true, "internal", "Something went wrong on our side"},
		{"a browser that takes both gets HTML", "/test/internal", "text/html, application/json", 500, false, "internal", "Something went wrong"},
		{"a panic on a page", "/test/panic", "", 500, false, "internal", "Something went wrong"},
		{"a panic on the API", "/api/v1/test/panic", "", 500, true, "internal", "Something went wrong on our side"},
		{"no such page", "/nope", "", 404, false, "not_found", "There is no page here"},
		{"no such API", "/api/v1/nope", "", 404, true, "not_found", "There is no page here"},
		{"no such page, as JSON", "/nope", "application/json", 404, true, "not_found", "There is no page here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.accept != "" {
				h = []string{"Accept", tc.accept}
			}
			w := ts.do(http.MethodGet, tc.path, nil, nil, h...)
			body := w.Body.String()
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			rid := w.Header().Get("X-Request-Id")
			if tc.json {
				e := errorOf(t, w)
				if e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.text) || e.Error.RequestID != rid {
					t.Errorf("JSON error %+v, want code %s, message with %q, request ID %s", e.Error, tc.code, tc.text, rid)
				}
			} else {
				if !strings.HasPrefix(w.Header().Get("Content-Type"), echo.MIMETextHTML) || !strings.Contains(body, `data-code="`+tc.code+`"`) ||
					!strings.Contains(body, tc.text) || !strings.Contains(body, rid) || !strings.Contains(body, fmt.Sprintf("Status %d", tc.status)) {
					t.Errorf("page (%s) lacks code %s, %q, request ID %s or the status:\n%s", w.Header().Get("Content-Type"), tc.code, tc.text, rid, body)
				}
			}
			for _, leak := range []string{"SECRET-CAUSE", "goroutine ", ".go:", "runtime failure"} {
				if strings.Contains(body, leak) {
					t.Errorf("the answer shows %q:\n%s", leak, body)
				}
			}
		})
	}
	// The operator's log has the cause, but never the stack.
	logs := ts.logs.String()
	if !strings.Contains(logs, "SECRET-CAUSE") {
		t.Error("the log lacks the cause")
	}
	if strings.Contains(logs, "goroutine ") {
		t.Error("the log has a stack trace")
	}
}

func TestWrongMethod(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	w := ts.do(http.MethodDelete, "/api/v1/open", nil, nil)
	wantError(t, "DELETE /api/v1/open", w, http.StatusMethodNotAllowed, "method_not_allowed")
	if w := ts.do(http.MethodPut, "/logout", nil, nil); w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), `data-code="method_not_allowed"`) {
		t.Errorf("PUT /logout = %d:\n%s", w.Code, w.Body)
	}
}

func TestRateLimitAnswer(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withLimits(ratelimit.Limits{PerIP: slow(1)}))
	ts.do(http.MethodGet, "/api/v1/me", nil, nil)
	w := ts.do(http.MethodGet, "/api/v1/me", nil, nil)
	wantError(t, "over the limit", w, http.StatusTooManyRequests, "rate_limited")
	if w.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	page := ts.do(http.MethodGet, "/", nil, nil)
	if page.Code != http.StatusTooManyRequests || !strings.Contains(page.Body.String(), "Too many requests") {
		t.Errorf("page over the limit = %d:\n%s", page.Code, page.Body)
	}
}
