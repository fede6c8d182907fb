package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secds/secds/cmd/secds/cli"
)

const devStudioDomain = "d-secdsdev0001"

func wantStudioPage(t *testing.T, b *Browser, profile, space, user, team string) {
	t.Helper()
	want := map[string]string{"domain-id": devStudioDomain, "user-profile": profile, "source-identity": user, "team": team}
	if space != "" {
		want["space"] = space
	}
	for id, w := range want {
		if got := b.Text(id); got != w {
			t.Errorf("#%s = %q, want %q", id, got, w)
		}
	}
}

// TestStudioInChromium: bob signs in from a Studio bookmark at Hydra and
// arrives in the stand-in SageMaker Studio as his own user profile; the
// start page offers his team's Studio and spaces; another team's space is
// refused with a page, and audited.
func TestStudioInChromium(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	if status := signIn(t, st, b, "/open?studio=1", "bob"); status != http.StatusOK {
		t.Fatalf("after signing in: status %d, want 200", status)
	}
	wantStudioPage(t, b, "bob", "", "bob", "marketing")
	if loc := b.Location(); !strings.Contains(loc, "/studio/"+devStudioDomain+"/auth") {
		t.Errorf("the Studio page is at %s", redact(loc))
	}
	ev := st.LastAudit(t, "open", "bob")
	if ev["decision"] != "granted" || ev["team"] != "marketing" || ev["studio"] != devStudioDomain+"/bob" || ev["source_identity"] != "bob" {
		t.Errorf("open event = %v", ev)
	}

	t.Run("the start page lists Studio beside notebooks", func(t *testing.T) {
		b.Navigate(st.URL + "/")
		b.CheckPage("start-studio", "SageMaker Studio", "marketing-bob", "marketing-shared", "bob-private")
		if status := b.ClickAndWait("open-studio-marketing-marketing-shared").Status; status != http.StatusOK {
			t.Fatalf("opening the space: status %d", status)
		}
		wantStudioPage(t, b, "bob", "marketing-shared", "bob", "marketing")
	})
	t.Run("another team's space is refused", func(t *testing.T) {
		resp := b.Navigate(st.URL + "/open?studio=1&space=platform-shared")
		if resp.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.Status)
		}
		b.CheckPage("studio-space-refused", "That Studio space is not yours", "bob-private, marketing-shared")
		ev := st.LastAudit(t, "open", "bob")
		if ev["decision"] != "denied" || ev["code"] != "studio_space_not_allowed" || ev["studio"] != devStudioDomain+"/bob/platform-shared" {
			t.Errorf("refused open event = %v", ev)
		}
	})
	t.Run("the presigned URL is in no log", func(t *testing.T) {
		for _, ev := range st.AuditEvents(t) {
			for k, v := range ev {
				if s, ok := v.(string); ok && strings.Contains(s, "token=") {
					t.Errorf("audit %s carries a token: %v", k, ev)
				}
			}
		}
	})
}

// TestCLIOpenStudio: secds open --studio and --space, secds list, and a
// refusal with its exit code, hop by hop against the dev stack.
func TestCLIOpenStudio(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "bob")
	c.configure()
	c.run("login").want(t, 0, "as bob")

	c.run("list").want(t, 0, "marketing-bob", "STUDIO", devStudioDomain, "bob-private, marketing-shared", "secds open --studio")
	c.run("list", "-o", "json").want(t, 0, `"studios": [`, `"user_profile": "bob"`)

	r := c.run("open", "--studio", "--print-url")
	r.want(t, 0)
	if page := notebookPage(t, strings.TrimSpace(r.stdout)); !strings.Contains(page, `id="user-profile">bob<`) || !strings.Contains(page, `id="landing-uri">app:JupyterLab:<`) {
		t.Errorf("the printed URL does not open bob's Studio:\n%s", page)
	}
	c.run("open", "--space", "marketing-shared", "-o", "json").want(t, 0, `"studio": {`, `"space": "marketing-shared"`, `"team": "marketing"`)

	r = c.run("open", "--studio", "--space", "bob-private")
	r.want(t, 0)
	if !strings.Contains(r.stderr, "Opened SageMaker Studio (team marketing, user profile bob, space bob-private)") {
		t.Errorf("secds open --studio said:\n%s", redact(r.stderr))
	}
	if _, page := c.openedAt(c.openedCount() - 1); !strings.Contains(page, `id="space">bob-private<`) {
		t.Errorf("the browser ended on:\n%s", page)
	}

	c.run("open", "--studio", "--space", "platform-shared").want(t, cli.ExitDenied, "no SageMaker Studio space named platform-shared", "bob-private, marketing-shared")
	c.run("open", "marketing-bob", "--studio").want(t, cli.ExitUsage, "--studio opens SageMaker Studio")
	c.run("open", "--studio", "--team", "platform").want(t, cli.ExitDenied)
}
