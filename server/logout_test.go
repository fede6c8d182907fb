package server

import (
	"net/http"
	"strings"
	"testing"
)

func TestLogout(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	own := []string{"Origin", "https://notebooks.example"}

	t.Run("GET asks, and leaves the session alone", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/logout", nil, sess)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, "Sign out of secds?") || !strings.Contains(body, `<form method="post" action="/logout">`) {
			t.Fatalf("GET /logout = %d:\n%s", w.Code, body)
		}
		if clears(w) {
			t.Error("GET /logout ended the session: any page could sign people out with an <img>")
		}
		csrfFrom(t, body)
	})

	t.Run("GET without a session goes to the signed-out page", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/logout", nil, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signed-out" {
			t.Errorf("GET /logout signed out = %d, Location %q", w.Code, w.Header().Get("Location"))
		}
	})

	t.Run("POST without the CSRF token is refused", func(t *testing.T) {
		for _, body := range []string{"", "csrf_token=", "csrf_token=forged"} {
			w := ts.do(http.MethodPost, "/logout", strings.NewReader(body), sess, own...)
			if w.Code != http.StatusForbidden || clears(w) || !strings.Contains(w.Body.String(), "This form has expired") {
				t.Errorf("POST /logout %q = %d (cleared %v):\n%s", body, w.Code, clears(w), w.Body)
			}
		}
	})

	t.Run("a token from another session is refused", func(t *testing.T) {
		other := ts.session("bob")
		tok := csrfFrom(t, ts.do(http.MethodGet, "/logout", nil, other).Body.String())
		if w := ts.do(http.MethodPost, "/logout", strings.NewReader("csrf_token="+tok), sess, own...); w.Code != http.StatusForbidden || clears(w) {
			t.Errorf("bob's token signed alice out: %d", w.Code)
		}
	})

	t.Run("the header's sign-out form signs out, then 303 to a signed-out page", func(t *testing.T) {
		page := ts.do(http.MethodGet, "/logout", nil, sess).Body.String()
		header := page[strings.Index(page, "<header>"):strings.Index(page, "</header>")]
		if !strings.Contains(header, `id="logout"`) {
			t.Fatalf("no sign-out form in the header:\n%s", header)
		}
		w := ts.do(http.MethodPost, "/logout", strings.NewReader("csrf_token="+csrfFrom(t, header)), sess, own...)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signed-out" || !clears(w) {
			t.Fatalf("POST /logout = %d, Location %q, cleared %v:\n%s", w.Code, w.Header().Get("Location"), clears(w), w.Body)
		}
		if a := ts.audit.String(); !strings.Contains(a, `"type":"logout"`) || !strings.Contains(a, `"user":"alice"`) {
			t.Errorf("no logout audit event:\n%s", a)
		}
		done := ts.do(http.MethodGet, "/signed-out", nil, nil)
		if body := done.Body.String(); done.Code != http.StatusOK || !strings.Contains(body, "You are signed out") || !strings.Contains(body, `href="/login"`) {
			t.Errorf("GET /signed-out = %d:\n%s", done.Code, body)
		}
	})

	t.Run("the signed-out page does not claim it while signed in", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/signed-out", nil, sess)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/logout" {
			t.Errorf("GET /signed-out with a session = %d, Location %q", w.Code, w.Header().Get("Location"))
		}
	})

	t.Run("POST without a session just lands signed out", func(t *testing.T) {
		w := ts.do(http.MethodPost, "/logout", strings.NewReader(""), nil, own...)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signed-out" {
			t.Errorf("POST /logout without a session = %d", w.Code)
		}
	})
}
