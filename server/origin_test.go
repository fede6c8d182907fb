package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestFromOwnPages(t *testing.T) {
	tests := []struct {
		name    string
		public  string
		headers map[string]string
		want    bool
	}{
		{"own origin", "https://notebooks.example", map[string]string{"Origin": "https://notebooks.example"}, true},
		{"own origin, default port in the config", "https://notebooks.example:443", map[string]string{"Origin": "https://notebooks.example"}, true},
		{"own origin with a port", "http://127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:8080"}, true},
		{"own origin on IPv6", "http://[::1]:8080", map[string]string{"Origin": "http://[::1]:8080"}, true},
		{"null: a sandboxed frame or data: page", "https://notebooks.example", map[string]string{"Origin": "null"}, false},
		{"another site", "https://notebooks.example", map[string]string{"Origin": "https://evil.example"}, false},
		{"a sibling subdomain", "https://notebooks.example", map[string]string{"Origin": "https://x.notebooks.example"}, false},
		{"plain http of our host", "https://notebooks.example", map[string]string{"Origin": "http://notebooks.example"}, false},
		{"another port of our host", "https://notebooks.example", map[string]string{"Origin": "https://notebooks.example:8443"}, false},
		{"our origin with a path", "https://notebooks.example", map[string]string{"Origin": "https://notebooks.example/"}, false},
		{"empty Origin", "https://notebooks.example", map[string]string{"Origin": ""}, false},
		{"no Origin, same-origin fetch", "https://notebooks.example", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"no Origin, cross-site fetch", "https://notebooks.example", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"no Origin, same-site fetch", "https://notebooks.example", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"no Origin, own Referer", "https://notebooks.example", map[string]string{"Referer": "https://notebooks.example/admin"}, true},
		{"no Origin, foreign Referer", "https://notebooks.example", map[string]string{"Referer": "https://evil.example/notebooks.example"}, false},
		{"no Origin, same-origin fetch, foreign Referer", "https://notebooks.example", map[string]string{"Sec-Fetch-Site": "same-origin", "Referer": "https://evil.example/"}, false},
		{"nothing: curl (the CSRF token still decides)", "https://notebooks.example", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.public)
			s := &Server{cfg: Config{PublicURL: u}}
			r := httptest.NewRequest(http.MethodPost, tt.public+"/logout", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := s.fromOwnPages(r); got != tt.want {
				t.Errorf("fromOwnPages = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("two Origin headers", func(t *testing.T) {
		u, _ := url.Parse("https://notebooks.example")
		r := httptest.NewRequest(http.MethodPost, "https://notebooks.example/logout", nil)
		r.Header["Origin"] = []string{"https://notebooks.example", "https://evil.example"}
		if (&Server{cfg: Config{PublicURL: u}}).fromOwnPages(r) {
			t.Error("two Origin headers passed")
		}
	})
}

// TestNullOriginIsRefusedEverywhere: the three session-riding entry points
// share one rule, and "null" is foreign for each of them (logout and the
// admin page used to let it through).
func TestNullOriginIsRefusedEverywhere(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	confirm := ts.do(http.MethodGet, "/logout", nil, sess)
	tok := csrfFrom(t, confirm.Body.String())
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/logout", "csrf_token=" + tok},
		{http.MethodPost, "/admin/explain", "csrf_token=" + tok + "&username=bob"},
		{http.MethodPost, "/admin/rollback", "csrf_token=" + tok + "&version=1"},
		{http.MethodPost, "/api/v1/open", `{"notebook":"x"}`},
		{http.MethodPut, "/api/v1/admin/mapping", "version: 1\n"},
	} {
		for _, origin := range []string{"null", "https://evil.example"} {
			w := ts.do(tc.method, tc.path, strings.NewReader(tc.body), sess, "Origin", origin, CSRFHeader, tok, "Accept", "application/json")
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"csrf_failed"`) {
				t.Errorf("%s %s with Origin %s = %d %s, want 403 csrf_failed", tc.method, tc.path, origin, w.Code, w.Body)
			}
			if clears(w) {
				t.Errorf("%s %s with Origin %s cleared the session", tc.method, tc.path, origin)
			}
		}
	}
	if strings.Contains(ts.audit.String(), `"logout"`) {
		t.Errorf("a refused logout was audited as a logout:\n%s", ts.audit)
	}
}
