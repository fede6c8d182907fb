package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
)

// signInDev is signIn on the dev identity provider, as secds-broker --dev
// runs it: from a broker page that needs a session to the provider's page,
// and a click on the user's button.
func signInDev(t *testing.T, st *Stack, b *Browser, path, user string) int64 {
	t.Helper()
	b.Navigate(st.URL + path)
	if loc := b.Location(); !strings.HasPrefix(loc, st.ProviderURL) {
		t.Fatalf("opening %s landed on %s, want the dev identity provider", path, redact(loc))
	}
	return b.ClickAndWait("login-" + user).Status
}

// adminShot saves a full-page screenshot of what b shows as name.png and
// checks the page's visible text: a picture of a page that says something
// else is not the picture wanted. The screenshots land in
// $SECDS_E2E_ARTIFACTS/screenshots (default $TMPDIR/secds-e2e/screenshots).
func adminShot(t *testing.T, b *Browser, name string, want ...string) {
	t.Helper()
	body := b.Body()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("screenshot %s: the page does not say %q:\n%s", name, w, body)
		}
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	// As wide as the window: nothing sticks out sideways.
	if w := img.Bounds().Dx(); w != 1200 {
		t.Errorf("screenshot %s is %d pixels wide, want the window's 1200", name, w)
	}
	dir := os.Getenv("SECDS_E2E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "secds-e2e")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// wantNoSidewaysScroll checks that the page fits a phone's 360-pixel-wide
// screen: nothing makes it scroll sideways. It names what sticks out.
func wantNoSidewaysScroll(t *testing.T, b *Browser, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("narrow the window: %v", err)
	}
	defer func() {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)); err != nil {
			t.Errorf("widen the window again: %v", err)
		}
	}()
	over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		t.Fatalf("measure the page: %v", err)
	}
	if over > 0 {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const w = document.documentElement.clientWidth;
			return Array.from(document.querySelectorAll('body *'))
				.filter(e => e.getBoundingClientRect().right > w + 0.5)
				.slice(-5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')).join(', ');
		})()`))
		t.Errorf("%s on a 360-pixel screen scrolls sideways by %d pixels; too wide: %s", what, over, wide)
	}
}

// accessibleNames lists the accessible names Chromium computed for the
// page's elements of role, in page order.
func accessibleNames(t *testing.T, b *Browser, role string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
		return cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	})
	if err != nil {
		t.Fatalf("read the accessibility tree: %v", err)
	}
	var names []string
	for _, n := range res.Nodes {
		if n.Ignored || n.Role == nil || n.Name == nil {
			continue
		}
		var r, name string
		if json.Unmarshal([]byte(n.Role.Value), &r) != nil || r != role {
			continue
		}
		if json.Unmarshal([]byte(n.Name.Value), &name) == nil {
			names = append(names, name)
		}
	}
	return names
}

// TestAdminPageEditsInChromium: an admin edits the mapping on /admin in
// Chromium, without a script: validates a text with mistakes (shown with
// their lines, nothing stored), diffs, saves, meets another admin's save
// made through the API meanwhile (412 explained, their change shown, the
// text kept), saves again, and rolls back after a confirmation that shows
// the diff. Each step's page is photographed and read, each change is
// audited as an API change is, and the page fits a phone's screen.
func TestAdminPageEditsInChromium(t *testing.T) {
	st := StartStack(t, StackOptions{})
	b := NewBrowser(t)
	if status := signInDev(t, st, b, "/admin", "admin"); status != http.StatusOK {
		t.Fatalf("admin opening /admin: status %d, want 200", status)
	}
	if got := b.Value("editor-content"); got != string(configs.DevTeams) {
		t.Fatalf("the editor shows:\n%s\nwant version 1, the dev mapping", got)
	}
	if got := b.Text("editor-base"); got != "1" {
		t.Errorf("the editor is based on version %q, want 1", got)
	}
	adminShot(t, b, "admin-editor", "Edit the mapping", "Based on version 1", "Validate", "Diff against live", "Save")
	wantNoSidewaysScroll(t, b, "the admin page")

	t.Run("validate a text with mistakes", func(t *testing.T) {
		b.Fill("editor-content", string(brokenMapping))
		if resp := b.ClickAndWait("editor-validate"); resp.Status != http.StatusOK {
			t.Fatalf("validate: status %d", resp.Status)
		}
		problems := b.Text("editor-problems")
		for _, want := range []string{"2 mistakes; nothing was stored", "teams.yaml:25:15", "teams.yaml:26:27", "25     role_arn: nope", "26     role_session_seconds: 5"} {
			if !strings.Contains(problems, want) {
				t.Errorf("the mistakes shown lack %q:\n%s", want, problems)
			}
		}
		if got := b.Attribute("problem-0", "data-line"); got != "25" {
			t.Errorf("the first mistake is on line %q, want 25", got)
		}
		if got := b.Value("editor-content"); got != string(brokenMapping) {
			t.Errorf("validate lost the text:\n%s", got)
		}
		adminShot(t, b, "admin-validate-mistakes", "2 mistakes; nothing was stored", "role_arn: nope")
		wantNoSidewaysScroll(t, b, "the mistakes")
		if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, configs.DevTeams) || len(mappingEvents(t, st)) != 0 {
			t.Error("validate stored something")
		}
	})

	edited := edit(t, configs.DevTeams, "cost-center: cc-1042", "cost-center: cc-7777")
	t.Run("diff against live", func(t *testing.T) {
		b.Fill("editor-content", string(edited))
		if resp := b.ClickAndWait("editor-diff-submit"); resp.Status != http.StatusOK {
			t.Fatalf("diff: status %d", resp.Status)
		}
		diff := b.Text("editor-diff")
		for _, want := range []string{"--- version 1 (current)", "+++ your text", "-      cost-center: cc-1042", "+      cost-center: cc-7777"} {
			if !strings.Contains(diff, want) {
				t.Errorf("the diff lacks %q:\n%s", want, diff)
			}
		}
	})

	t.Run("save", func(t *testing.T) {
		b.Fill("editor-content", string(edited))
		b.Fill("editor-reason", "fraud moves to cc-7777")
		if resp := b.ClickAndWait("editor-save"); resp.Status != http.StatusOK {
			t.Fatalf("save: status %d", resp.Status)
		}
		if got := b.Text("message"); got != "Saved as version 2 by admin; it is live." {
			t.Errorf("after the save the page says %q", got)
		}
		if got := b.Text("editor-base"); got != "2" {
			t.Errorf("after the save the editor is based on version %q, want 2", got)
		}
		if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, edited) {
			t.Errorf("the file holds:\n%s\nwant the edit byte for byte (LF line ends)", disk)
		}
		ev := st.LastAudit(t, "mapping_change", "admin")
		if ev["decision"] != "granted" || ev["via"] != "browser" || ev["reason"] != "edit: fraud moves to cc-7777" || ev["to_version"] != float64(2) {
			t.Errorf("the save's audit event: %v", ev)
		}
	})

	mine := edit(t, edited, "cost-center: cc-2077", "cost-center: cc-2099")
	dana := apiWithToken(t, st, abac.Identity{Subject: "dev-dana", Username: "dana", Email: "dana@example.com", Groups: []string{"secds-admins"}})
	t.Run("a stale save", func(t *testing.T) {
		// The page is on version 2. Dana, another admin, saves version 3
		// through the API with her CLI token.
		cur, etag := dana.getMapping()
		theirs := edit(t, cur, "description: Fraud detection", "description: Fraud detection and chargebacks")
		if status, _, body := dana.putMapping(theirs, etag); status != http.StatusOK {
			t.Fatalf("dana's PUT = %d %s", status, body)
		}

		b.Fill("editor-content", string(mine))
		if resp := b.ClickAndWait("editor-save"); resp.Status != http.StatusPreconditionFailed {
			t.Fatalf("the stale save: status %d, want 412", resp.Status)
		}
		conflict := b.Text("editor-conflict")
		for _, want := range []string{"Not saved: someone else changed the mapping", "You started from version 2, but version 3 was saved since by dana", "Nothing was changed", "412",
			"-    description: Fraud detection", "+    description: Fraud detection and chargebacks"} {
			if !strings.Contains(conflict, want) {
				t.Errorf("the stale save's page lacks %q:\n%s", want, conflict)
			}
		}
		if got := b.Value("editor-content"); got != string(mine) {
			t.Errorf("the stale save lost the admin's text:\n%s", got)
		}
		adminShot(t, b, "admin-stale-save", "Not saved", "by dana", "Your text is kept below")
		wantNoSidewaysScroll(t, b, "the stale save")
		if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, theirs) {
			t.Error("the stale save changed the file")
		}
		if ev := st.LastAudit(t, "mapping_change", "admin"); ev["decision"] != "denied" || ev["code"] != "version_conflict" || ev["via"] != "browser" {
			t.Errorf("the stale save's audit event: %v", ev)
		}

		// Having seen dana's change, the admin keeps it and saves again.
		b.Fill("editor-content", string(edit(t, theirs, "cost-center: cc-2077", "cost-center: cc-2099")))
		if resp := b.ClickAndWait("editor-save"); resp.Status != http.StatusOK {
			t.Fatalf("the save after the conflict: status %d", resp.Status)
		}
		if got := b.Text("message"); got != "Saved as version 4 by admin; it is live." {
			t.Errorf("after the second save the page says %q", got)
		}
	})

	t.Run("rollback asks first", func(t *testing.T) {
		names := accessibleNames(t, b, "link")
		var rollbacks []string
		for _, n := range names {
			if strings.HasPrefix(n, "Roll back") {
				rollbacks = append(rollbacks, n)
			}
		}
		if strings.Join(rollbacks, "|") != "Roll back to version 3|Roll back to version 2|Roll back to version 1" {
			t.Errorf("the rollback links are named %q, want one name per version", rollbacks)
		}
		wantNoSidewaysScroll(t, b, "the history")
		if resp := b.ClickAndWait("rollback-1"); resp.Status != http.StatusOK {
			t.Fatalf("the rollback link: status %d", resp.Status)
		}
		diff := b.Text("rollback-diff")
		for _, want := range []string{"--- version 4 (current)", "+++ version 1", "-      cost-center: cc-7777", "+      cost-center: cc-1042", "-    description: Fraud detection and chargebacks"} {
			if !strings.Contains(diff, want) {
				t.Errorf("the confirmation's diff lacks %q:\n%s", want, diff)
			}
		}
		adminShot(t, b, "admin-rollback-confirm", "Roll back to version 1?", "What changes", "Cancel")
		wantNoSidewaysScroll(t, b, "the rollback's confirmation")
		if n := len(mappingEvents(t, st)); n != 4 { // two saves, the stale one, dana's
			t.Errorf("%d mapping events before the confirmation, want 4: asking changed something", n)
		}
		// Dana edits while the admin reads the diff: the confirmation is
		// refused and asked again, with what the rollback changes now.
		cur, etag := dana.getMapping()
		if status, _, body := dana.putMapping(edit(t, cur, "description: Marketing analytics", "description: Marketing and growth"), etag); status != http.StatusOK {
			t.Fatalf("dana's PUT = %d %s", status, body)
		}
		if resp := b.ClickAndWait("rollback-confirm-submit"); resp.Status != http.StatusPreconditionFailed {
			t.Fatalf("a rollback confirmed against version 4 after version 5: status %d, want 412", resp.Status)
		}
		if got := b.Text("rollback-changed"); !strings.Contains(got, "You confirmed against version 4; version 5 is current now") {
			t.Errorf("the stale rollback says %q", got)
		}
		if diff := b.Text("rollback-diff"); !strings.Contains(diff, "-    description: Marketing and growth") {
			t.Errorf("the confirmation asked again does not show dana's change undone:\n%s", diff)
		}
		if resp := b.ClickAndWait("rollback-confirm-submit"); resp.Status != http.StatusOK {
			t.Fatalf("roll back: status %d", resp.Status)
		}
		if got := b.Text("message"); !strings.Contains(got, "Rolled back: version 6") {
			t.Errorf("after the rollback the page says %q", got)
		}
		if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, configs.DevTeams) {
			t.Error("the rollback did not restore version 1 byte for byte")
		}
		if ev := st.LastAudit(t, "mapping_change", "admin"); ev["decision"] != "granted" || ev["via"] != "browser" || ev["reason"] != "rollback to 1" {
			t.Errorf("the rollback's audit event: %v", ev)
		}
	})
}

// TestAdminPageSavesAcrossReplicas: in production's shape for admins who
// edit through secds (Ory Hydra, https, two replicas behind a round-robin
// proxy on one shared store), a save from the admin page is checked (its
// CSRF token, its version) by whichever replica the proxy picks, the page
// that follows shows it, and an edit another admin makes through the API on
// any replica turns the page's next save into a 412 that names them.
func TestAdminPageSavesAcrossReplicas(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t), Replicas: 2, SharedStore: true})
	b := NewBrowser(t)
	if status := signIn(t, st, b, "/admin", "admin"); status != http.StatusOK {
		t.Fatalf("admin opening /admin: status %d, want 200", status)
	}
	dana := apiWithToken(t, st, abac.Identity{Subject: "dev-dana", Username: "dana", Email: "dana@example.com", Groups: []string{"secds-admins"}})
	edited := edit(t, configs.DevTeams, "cost-center: cc-2077", "cost-center: cc-3000")
	b.Fill("editor-content", string(edited))
	if resp := b.ClickAndWait("editor-save"); resp.Status != http.StatusOK {
		t.Fatalf("save: status %d", resp.Status)
	}
	if got := b.Text("message"); got != "Saved as version 2 by admin; it is live." {
		t.Errorf("after the save the page says %q", got)
	}
	if got := b.Value("editor-content"); got != string(edited) {
		t.Errorf("after the save the editor shows:\n%s", got)
	}
	cur, etag := dana.getMapping()
	if !bytes.Equal(cur, edited) {
		t.Errorf("the store holds:\n%s\nwant the save byte for byte", cur)
	}
	if ev := st.LastAudit(t, "mapping_change", "admin"); ev["decision"] != "granted" || ev["via"] != "browser" || ev["to_version"] != float64(2) {
		t.Errorf("the save's audit event: %v", ev)
	}

	if status, _, body := dana.putMapping(edit(t, cur, "description: Marketing analytics", "description: Marketing and growth"), etag); status != http.StatusOK {
		t.Fatalf("dana's PUT = %d %s", status, body)
	}
	mine := edit(t, edited, "cost-center: cc-1042", "cost-center: cc-1043")
	b.Fill("editor-content", string(mine))
	if resp := b.ClickAndWait("editor-save"); resp.Status != http.StatusPreconditionFailed {
		t.Fatalf("the stale save: status %d, want 412", resp.Status)
	}
	if got := b.Text("editor-conflict"); !strings.Contains(got, "version 3 was saved since by dana") || !strings.Contains(got, "+    description: Marketing and growth") {
		t.Errorf("the stale save's page:\n%s", got)
	}
	if got := b.Value("editor-content"); got != string(mine) {
		t.Errorf("the stale save lost the admin's text:\n%s", got)
	}
}
