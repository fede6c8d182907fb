package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBookmarkOpensTheNotebook: a bookmark to /open?notebook= sends a
// person without a session through sign-in and straight into Jupyter. In
// Chromium against Hydra over https, as in production (TLS at the proxy,
// __Host- cookies), and once over http on loopback, as the dev stack runs;
// then hop by hop, with the URL's one use and its five minutes.
func TestBookmarkOpensTheNotebook(t *testing.T) {
	for _, scheme := range []string{"https", "http"} {
		t.Run("in Chromium over "+scheme, func(t *testing.T) {
			st := StartStack(t, StackOptions{Provider: sharedProvider(t), Scheme: scheme})
			b := NewBrowser(t)

			if status := signIn(t, st, b, "/open?notebook=fraud-alice", "alice"); status != http.StatusOK {
				t.Fatalf("after signing in: status %d, want 200", status)
			}
			wantNotebookPage(t, b, "fraud-alice", "alice", "fraud")
			if loc := b.Location(); !strings.Contains(loc, "/notebooks/fraud-alice") {
				t.Errorf("the notebook page is at %s", redact(loc))
			}
			wantBrokerCookies(t, st, b)
			ev := st.LastAudit(t, "open", "alice")
			if ev["decision"] != "granted" || ev["notebook"] != "fraud-alice" || ev["team"] != "fraud" {
				t.Errorf("open event = %v", ev)
			}

			t.Run("the bookmark again needs no login", func(t *testing.T) {
				logins := len(st.Provider.Login.Logins())
				if resp := b.Navigate(st.URL + "/open?notebook=fraud-alice"); resp.Status != http.StatusOK {
					t.Fatalf("status %d", resp.Status)
				}
				wantNotebookPage(t, b, "fraud-alice", "alice", "fraud")
				if n := len(st.Provider.Login.Logins()); n != logins {
					t.Errorf("the provider saw %d more logins; the session cookie should have been enough", n-logins)
				}
			})
		})
	}
	t.Run("hop by hop", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		alice := NewHTTPUser(t, st, "alice")
		p := alice.Visit(st.URL + "/open?notebook=fraud-alice")
		p.MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`, `id="source-identity">alice<`, `id="team">fraud<`)
		if !strings.HasPrefix(p.Hops[1], st.ProviderURL) {
			t.Errorf("second hop = %s, want the identity provider", redact(p.Hops[1]))
		}
		var sawCallback bool
		for _, h := range p.Hops {
			sawCallback = sawCallback || strings.HasPrefix(h, st.URL+"/callback?")
		}
		if !sawCallback {
			t.Errorf("the login did not come back through /callback: %v", p.Hops)
		}
		ev := st.LastAudit(t, "open", "alice")
		if ev["decision"] != "granted" || ev["team"] != "fraud" || ev["notebook"] != "fraud-alice" ||
			ev["role"] != "arn:aws:iam::123456789012:role/secds-team-fraud" || ev["client_ip"] != "127.0.0.1" || ev["request_id"] == "" {
			t.Errorf("open event = %v", ev)
		}

		t.Run("the URL works once", func(t *testing.T) {
			again := alice.Visit(p.PresignedURL(t))
			again.MustContain(t, http.StatusForbidden, "already used")
		})
		t.Run("a fresh URL expires after five minutes", func(t *testing.T) {
			u := alice.Presign("fraud-alice")
			st.AWS.Advance(5*time.Minute + time.Second)
			alice.Visit(u).MustContain(t, http.StatusForbidden, "expired")
			alice.Visit(alice.Presign("fraud-alice")).MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
		})
	})
}

// TestRefusalsAreClearPages: each refusal is a readable page with its code
// and a request ID, no stack trace, and an audit event with the true
// reason; bob's, for alice's notebook, also as Chromium renders it.
func TestRefusalsAreClearPages(t *testing.T) {
	t.Run("in Chromium", func(t *testing.T) {
		st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
		b := NewBrowser(t)

		// Another team's notebook answers as a missing one would (404), so
		// names cannot be probed; the audit event keeps the true reason.
		if status := signIn(t, st, b, "/open?notebook=fraud-alice", "bob"); status != http.StatusNotFound {
			t.Fatalf("bob opening fraud-alice: status %d, want 404", status)
		}
		if code := b.Attribute("problem", "data-code"); code != "notebook_not_found" {
			t.Errorf("problem code = %q, want notebook_not_found", code)
		}
		body := b.Body()
		for _, want := range []string{"That notebook is not yours", "You have no notebook named fraud-alice", "You can open marketing-bob (team marketing)", "request ID"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q:\n%s", want, body)
			}
		}
		if ev := st.LastAudit(t, "open", "bob"); ev["code"] != "notebook_not_allowed" || ev["decision"] == "granted" {
			t.Errorf("open event = %v, want a refusal", ev)
		}
	})
	t.Run("hop by hop", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		tests := []struct {
			name, user, path string
			status           int
			code             string
			parts            []string
			auditCode        string // when the audit trail records more than the page says
		}{
			// Another team's notebook answers as a missing one does, so names
			// cannot be probed; the audit event keeps the true reason.
			{"bob may not open alice's notebook", "bob", "/open?notebook=fraud-alice", http.StatusNotFound, "notebook_not_found",
				[]string{"That notebook is not yours", "You have no notebook named fraud-alice", "You can open marketing-bob (team marketing)"}, "notebook_not_allowed"},
			{"carol has no team", "carol", "/open?notebook=fraud-alice", http.StatusForbidden, "no_team",
				[]string{"You are not in a team yet", "Ask the data platform team (#ds-platform)"}, ""},
			{"a stopped notebook", "alice", "/open?notebook=fraud-alice-scratch", http.StatusConflict, "notebook_stopped",
				[]string{"fraud-alice-scratch is stopped"}, ""},
			{"a missing notebook", "alice", "/open?notebook=no-such-notebook", http.StatusNotFound, "notebook_not_found",
				[]string{"That notebook is not yours", "You have no notebook named no-such-notebook", "You can open fraud-alice (team fraud)"}, ""},
			{"a malformed name", "alice", "/open?notebook=..%2Fetc", http.StatusBadRequest, "bad_notebook_name",
				[]string{"1–63 letters"}, ""},
			{"a team that is not yours", "alice", "/open?team=marketing", http.StatusForbidden, "team_not_allowed",
				[]string{"not a member of team marketing"}, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := NewHTTPUser(t, st, tc.user).Visit(st.URL + tc.path)
				p.MustContain(t, tc.status, append(tc.parts, `data-code="`+tc.code+`"`, "request ID")...)
				if strings.Contains(p.Body, "goroutine") || strings.Contains(p.Body, ".go:") {
					t.Errorf("the page shows a stack trace:\n%s", p.Body)
				}
				ev := st.LastAudit(t, "open", tc.user)
				want := tc.code
				if tc.auditCode != "" {
					want = tc.auditCode
				}
				if ev["code"] != want || ev["decision"] == "granted" {
					t.Errorf("audit event = %v, want a refusal with code %s", ev, want)
				}
			})
		}
	})
}

// TestLandingAndChooser: the landing page's "Open my notebook" goes straight
// to a person's one notebook and asks one with several which; in Chromium
// the chooser's link opens the one clicked.
func TestLandingAndChooser(t *testing.T) {
	t.Run("in Chromium", func(t *testing.T) {
		st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
		b := NewBrowser(t)

		if status := signIn(t, st, b, "/open", "alice"); status != http.StatusOK {
			t.Fatalf("after signing in: status %d, want the chooser (200)", status)
		}
		if h := b.Text("choices"); !strings.Contains(h, "fraud-alice-scratch") || !strings.Contains(h, "fraud-alice") {
			t.Fatalf("the chooser lists %q, want both of alice's notebooks", h)
		}
		if ev := st.LastAudit(t, "open", "alice"); ev["decision"] != "choose" {
			t.Errorf("open event = %v, want decision choose", ev)
		}
		if resp := b.ClickLink("fraud-alice-scratch"); resp.Status != http.StatusOK {
			t.Fatalf("clicking fraud-alice-scratch: status %d", resp.Status)
		}
		wantNotebookPage(t, b, "fraud-alice-scratch", "alice", "fraud")
	})
	t.Run("hop by hop", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		anon := NewHTTPUser(t, st, "alice")
		p := anon.Visit(st.URL + "/")
		p.MustContain(t, http.StatusOK, "Open my notebook", `href="/open"`)

		// alice has two notebooks (one stopped), so "Open my notebook" asks,
		// offering the stopped one without a link.
		p = anon.Visit(st.URL + "/open")
		p.MustContain(t, http.StatusOK, "Which notebook?", `/open?team=fraud&amp;notebook=fraud-alice"`, "fraud-alice-scratch", "Stopped")
		if strings.Contains(p.Body, "notebook=fraud-alice-scratch") {
			t.Errorf("the chooser links the stopped notebook:\n%s", p.Body)
		}
		if ev := st.LastAudit(t, "open", "alice"); ev["decision"] != "choose" {
			t.Errorf("audit event = %v, want decision choose", ev)
		}
		p = anon.Visit(st.URL + "/")
		p.MustContain(t, http.StatusOK, "Hello, alice", "<strong>fraud</strong>", "fraud-alice-scratch", `id="logout"`)

		// bob has exactly one notebook: the button goes straight there.
		bob := NewHTTPUser(t, st, "bob")
		bob.Visit(st.URL+"/open").MustContain(t, http.StatusOK, `id="notebook-name">marketing-bob<`)
	})
}
