package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/awsemu"
)

// pagesSeed is the dev stack's AWS state (alice's fraud-alice-scratch
// stopped) without admin's notebooks, so that admin is a team member
// (platform) with no notebook.
func pagesSeed(t *testing.T) *awsemu.Seed {
	t.Helper()
	s := devSeed(t)
	s.Notebooks = slices.DeleteFunc(s.Notebooks, func(nb awsemu.Notebook) bool { return strings.HasPrefix(nb.Name, "platform-admin") })
	return &s
}

// pagesMapping is the dev mapping without platform's Studio, so that admin
// has nothing to open at all.
func pagesMapping(t *testing.T) []byte {
	t.Helper()
	const platformStudio = "    studio:\n      domain_id: d-secdsdev0001\n      user_profile: \"{{.Username}}\"\n      create_user_profile: true\n"
	m := strings.Replace(string(configs.DevTeams), platformStudio, "", 1)
	if m == string(configs.DevTeams) {
		t.Fatal("the dev mapping changed: platform's studio setting not found")
	}
	return []byte(m)
}

// The dev mapping's support text, and the contact the other refusals name.
const (
	supportText = "Ask the data platform team (#ds-platform) to add you to a team."
	contact     = "the data platform team (#ds-platform)"
)

// TestPages walks every page a person sees, in Chromium against Hydra: each
// is checked for its text, photographed (written to $SECDS_SCREENSHOTS_DIR
// when set: docs/screenshots is made this way) and audited for
// accessibility (axe-core, WCAG 2 A and AA). The refusals give advice that
// fits the case and keep the account header.
func TestPages(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t), Seed: pagesSeed(t), Mapping: pagesMapping(t)})

	t.Run("signed out", func(t *testing.T) {
		b := NewBrowser(t)
		b.Navigate(st.URL + "/")
		b.CheckPage("start-signed-out", "Your SageMaker notebooks", "Open my notebook", "Sign in")
	})

	t.Run("alice: notebooks, one stopped", func(t *testing.T) {
		b := NewBrowser(t)
		if status := signIn(t, st, b, "/login", "alice"); status != http.StatusOK {
			t.Fatalf("after signing in: status %d", status)
		}
		b.CheckPage("start", "Hello, alice", "fraud-alice", "Running", "fraud-alice-scratch", "Stopped", "ask "+contact+" to start it")
		if got := b.Attribute("open-fraud-alice", "aria-label"); got != "Open fraud-alice" {
			t.Errorf("the Open link's accessible name = %q, want %q", got, "Open fraud-alice")
		}
		if n := b.Count(`a[href*="notebook=fraud-alice-scratch"]`); n != 0 {
			t.Errorf("the start page links the stopped notebook (%d links)", n)
		}
		if n := b.Count(`#admin-link`); n != 0 {
			t.Error("alice, no admin, is shown the admin link")
		}

		b.ClickAndWait("open-my-notebook")
		b.CheckPage("chooser", "Which notebook?", "fraud-alice", "fraud-alice-scratch", "Stopped", "ask "+contact+" to start it")
		if n := b.Count(`#choices a[href*="notebook=fraud-alice-scratch"]`); n != 0 {
			t.Errorf("the chooser links the stopped notebook (%d links)", n)
		}

		resp := b.Navigate(st.URL + "/open?team=marketing")
		if resp.Status != http.StatusForbidden {
			t.Errorf("another team: status %d, want 403", resp.Status)
		}
		b.CheckPage("refusal-wrong-team", "That team is not yours", "You are not a member of team marketing", "your team is fraud", "alice", "Sign out", "Sign in as someone else")
		wantNot(t, b, supportText)

		if resp := b.Navigate(st.URL + "/open?notebook=fraud-alice-scratch"); resp.Status != http.StatusConflict {
			t.Errorf("the stopped notebook: status %d, want 409", resp.Status)
		}
		b.CheckPage("refusal-stopped", "The notebook is stopped", "ask "+contact+" to start fraud-alice-scratch", "alice")
		wantNot(t, b, supportText, "Start it (or")

		if resp := b.Navigate(st.URL + "/no-such-page"); resp.Status != http.StatusNotFound {
			t.Errorf("no such page: status %d", resp.Status)
		}
		b.CheckPage("not-found", "There is no page here", "alice")
		wantNot(t, b, "Not Found")

		// The CLI's paste-mode sign-in: confirm, cancel, and the code.
		challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
		link := st.URL + "/cli/login?" + url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
		b.Navigate(link)
		b.CheckPage("cli-confirm", "Sign in a secds CLI as alice?", "If you did not just run")
		b.ClickAndWait("cli-confirm-cancel")
		b.CheckPage("cli-cancelled", "The CLI sign-in was cancelled")
		b.Navigate(link)
		b.ClickAndWait("cli-confirm-allow")
		hideCode(t, b)
		b.CheckPage("cli-code", "Your sign-in code for the terminal", "never give it to anyone")

		b.Navigate(st.URL + "/logout")
		b.CheckPage("logout", "Sign out of secds?", "alice")
		if resp := b.ClickAndWait("confirm-logout"); resp.Status != http.StatusOK || !strings.HasSuffix(b.Location(), "/signed-out") {
			t.Fatalf("sign out: status %d at %s", resp.Status, redact(b.Location()))
		}
		b.CheckPage("signed-out", "You are signed out", "Sign in again")
		if got := b.Attribute("sign-in", "href"); got != "/login" {
			t.Errorf("the signed-out page's sign-in link = %q", got)
		}
	})

	t.Run("bob: not his notebook", func(t *testing.T) {
		b := NewBrowser(t)
		if status := signIn(t, st, b, "/open?notebook=fraud-alice", "bob"); status != http.StatusNotFound {
			t.Errorf("bob on alice's notebook: status %d, want 404", status)
		}
		b.CheckPage("refusal-not-yours", "That notebook is not yours", "You have no notebook named fraud-alice", "You can open marketing-bob (team marketing)", "start page", "bob", "Sign in as someone else")
		wantNot(t, b, supportText)
		if got := b.Text("whoami"); got != "bob" {
			t.Errorf("the refusal's header names %q, want bob", got)
		}
		// Sign in as someone else: signed out, on a page that says so.
		if resp := b.ClickAndWait("sign-in-as-someone-else"); resp.Status != http.StatusOK || !strings.HasSuffix(b.Location(), "/signed-out") {
			t.Fatalf("sign in as someone else: status %d at %s", resp.Status, redact(b.Location()))
		}
		if n := b.Count("#whoami"); n != 0 {
			t.Error("still signed in after choosing to sign in as someone else")
		}
	})

	t.Run("admin: a team, no notebook", func(t *testing.T) {
		b := NewBrowser(t)
		if status := signIn(t, st, b, "/login", "admin"); status != http.StatusOK {
			t.Fatalf("after signing in: status %d", status)
		}
		b.CheckPage("start-no-notebook", "Hello, admin", "platform", "No notebook is set up for you yet", "ask "+contact+" to create one for you")
		if n := b.Count("#open-my-notebook"); n != 0 {
			t.Error("with no notebook, the start page still offers Open my notebook")
		}
		if resp := b.Navigate(st.URL + "/open"); resp.Status != http.StatusNotFound {
			t.Errorf("admin's /open: status %d, want 404", resp.Status)
		}
		b.CheckPage("refusal-no-notebook", "No notebook for you yet", "Notebooks are created by the platform team", "ask "+contact+" to create one for you", "admin")
		wantNot(t, b, supportText)
		// The header links the admin page for admins, on every page.
		if resp := b.ClickAndWait("admin-link"); resp.Status != http.StatusOK || !strings.HasSuffix(b.Location(), "/admin") {
			t.Fatalf("the admin link: status %d at %s", resp.Status, redact(b.Location()))
		}
		// Its accessibility audit is TestAdminPageAccessibility's.
		b.Screenshot("admin")
	})

	t.Run("carol: no team", func(t *testing.T) {
		b := NewBrowser(t)
		if status := signIn(t, st, b, "/open", "carol"); status != http.StatusForbidden {
			t.Errorf("carol's /open: status %d, want 403", status)
		}
		b.CheckPage("refusal-no-team", "You are not in a team yet", supportText, "carol", "Sign in as someone else")
		b.Navigate(st.URL + "/")
		b.CheckPage("start-no-team", "Hello, carol", "You are not in a team yet", supportText)
		if n := b.Count("#open-my-notebook"); n != 0 {
			t.Error("without a team, the start page still offers Open my notebook")
		}
	})
}

// wantNot fails t if the current page's text holds any of parts.
func wantNot(t *testing.T, b *Browser, parts ...string) {
	t.Helper()
	body := b.Body()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Errorf("the page (%s) says %q, which does not fit:\n%s", redact(b.Location()), p, body)
		}
	}
}

// hideCode blanks the one-time codes on the CLI code page before it is
// photographed: a screenshot is a file that outlives the test.
func hideCode(t *testing.T, b *Browser) {
	t.Helper()
	if v := b.Text("cli-code"); v == "" {
		t.Fatal("the code page shows no code")
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	const blank = `document.getElementById("cli-code").textContent = "XXXX-XXXX";
		const long = document.getElementById("cli-long-code"); if (long) long.value = "(the long one-time code is shown here)";`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](blank)); err != nil {
		t.Fatal(err)
	}
}
