package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestHSTSFollowsThePublicURL: HSTS is decided by the configured public URL,
// not by a header the client sends.
func TestHSTSFollowsThePublicURL(t *testing.T) {
	for _, tc := range []struct {
		public, forwarded string
		want              bool
	}{
		{"https://notebooks.example", "", true},     // TLS ends at the load balancer, which forwards http
		{"https://notebooks.example", "http", true}, // nor can a client's header turn it off
		{"http://127.0.0.1:8080", "https", false},   // a forged header does not pin a plain-http host
		{"http://127.0.0.1:8080", "", false},
	} {
		ts := newTestServer(t, tc.public)
		var h []string
		if tc.forwarded != "" {
			h = []string{"X-Forwarded-Proto", tc.forwarded}
		}
		for _, path := range []string{"/healthz", "/signed-out", "/nope"} {
			w := ts.do(http.MethodGet, path, nil, nil, h...)
			if got := w.Header().Get("Strict-Transport-Security") != ""; got != tc.want {
				t.Errorf("public %s, X-Forwarded-Proto %q, %s: HSTS %v, want %v", tc.public, tc.forwarded, path, got, tc.want)
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	for _, path := range []string{"/healthz", "/signed-out", "/logout", "/nope", "/static/style.css"} {
		w := ts.do(http.MethodGet, path, nil, ts.session("alice"))
		csp := w.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %s", path, csp, want)
			}
		}
		// same-origin, not no-referrer: with no-referrer browsers send
		// Origin: null on our own forms, which fromOwnPages refuses.
		if got := w.Header().Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("%s: Referrer-Policy = %q", path, got)
		}
	}
	if page := ts.do(http.MethodGet, "/signed-out", nil, nil).Body.String(); !strings.Contains(page, `<meta name="referrer" content="same-origin">`) {
		t.Errorf("the page's referrer meta tag disagrees with the header:\n%s", page)
	}
}

// TestStaticServesFilesOnly: /static/ lists nothing.
func TestStaticServesFilesOnly(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	for path, want := range map[string]int{
		"/static/style.css":    http.StatusOK,
		"/static/admin.css":    http.StatusOK,
		"/static/":             http.StatusNotFound,
		"/static":              http.StatusNotFound,
		"/static/./":           http.StatusNotFound,
		"/static/nope.css":     http.StatusNotFound,
		"/static/../server.go": http.StatusNotFound,
	} {
		w := ts.do(http.MethodGet, path, nil, nil)
		if w.Code != want {
			t.Errorf("GET %s = %d, want %d", path, w.Code, want)
		}
		if strings.Contains(w.Body.String(), `href="style.css"`) {
			t.Errorf("GET %s lists the directory", path)
		}
	}
}

func TestAllowFormAction(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.s.echo.GET("/test-form", func(c echo.Context) error {
		allowFormAction(c, "http://127.0.0.1:4711/callback")
		return c.String(http.StatusOK, "ok")
	})
	w := ts.do(http.MethodGet, "/test-form", nil, nil)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "form-action 'self' http://127.0.0.1:4711") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	ts.s.echo.GET("/test-form6", func(c echo.Context) error {
		allowFormAction(c, "http://[::1]:4711/callback")
		return c.String(http.StatusOK, "ok")
	})
	w = ts.do(http.MethodGet, "/test-form6", nil, nil)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "form-action 'self' http:") {
		t.Errorf("Content-Security-Policy for [::1] = %q", csp)
	}
}
