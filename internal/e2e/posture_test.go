package e2e

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/testutil"
)

// postureStack is the dev mapping with fraud's notebooks required to have
// no direct internet access and no root access (enforced) and marketing's
// only warned, over the dev notebooks made to comply, plus one of alice's
// that can reach the internet and one of bob's with root access.
func postureStack(t *testing.T, opts StackOptions) *Stack {
	t.Helper()
	mapping := bytes.Replace(testutil.WithoutRequire(configs.DevTeams), []byte("  notebook_session_seconds: 3600\n"),
		[]byte("  notebook_session_seconds: 3600\n  require: {direct_internet_access: Disabled, root_access: Disabled}\n"), 1)
	mapping = bytes.Replace(mapping, []byte("      cost-center: cc-2077\n"), []byte("      cost-center: cc-2077\n    require: {mode: warn}\n"), 1)
	if !bytes.Contains(mapping, []byte("mode: warn")) || !bytes.Contains(mapping, []byte("root_access: Disabled")) {
		t.Fatal("the dev mapping changed: postureStack no longer applies")
	}
	seed := devSeed(t)
	for i := range seed.Notebooks {
		seed.Notebooks[i].DirectInternetAccess, seed.Notebooks[i].RootAccess = "Disabled", "Disabled"
	}
	seed.Notebooks = append(seed.Notebooks,
		awsemu.Notebook{Name: "fraud-alice-public", Tags: map[string]string{"team": "fraud", "owner": "alice"}, DirectInternetAccess: "Enabled", RootAccess: "Disabled"},
		awsemu.Notebook{Name: "marketing-bob-root", Tags: map[string]string{"team": "marketing", "owner": "bob"}, DirectInternetAccess: "Disabled", RootAccess: "Enabled"})
	opts.Mapping, opts.Seed = mapping, &seed
	return StartStack(t, opts)
}

// TestPostureInTheBrowser: in Chromium over https against Hydra, a
// compliant notebook opens; one that can reach the internet is refused
// with a page that says so in plain words, and the refusal is audited with
// reason posture; a warn-mode team's non-compliant notebook opens, audited
// with what it misses. The start page says which notebooks comply.
func TestPostureInTheBrowser(t *testing.T) {
	st := postureStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	if status := signIn(t, st, b, "/open?notebook=fraud-alice", "alice"); status != http.StatusOK {
		t.Fatalf("alice opening her compliant notebook: status %d", status)
	}
	wantNotebookPage(t, b, "fraud-alice", "alice", "fraud")

	if resp := b.Navigate(st.URL + "/open?notebook=fraud-alice-public"); resp.Status != http.StatusForbidden {
		t.Fatalf("alice opening a notebook with internet access: status %d, want 403", resp.Status)
	}
	if code := b.Attribute("problem", "data-code"); code != "notebook_noncompliant" {
		t.Errorf("problem code = %q", code)
	}
	b.CheckPage("refusal-posture", "does not meet your team's security requirements", "can reach the internet (DirectInternetAccess=Enabled)", "private subnet", "#ds-platform")
	ev := st.LastAudit(t, "open", "alice")
	if ev["decision"] != "denied" || ev["reason"] != "posture" || ev["code"] != "notebook_noncompliant" || ev["posture_mode"] != "enforce" {
		t.Errorf("refusal event = %v", ev)
	}
	if unmet, _ := ev["unmet"].([]any); len(unmet) != 1 || unmet[0] != "direct_internet_access=Enabled" {
		t.Errorf("refusal event's unmet = %v", ev["unmet"])
	}

	t.Run("the start page says which notebooks meet the requirements", func(t *testing.T) {
		if resp := b.Navigate(st.URL + "/"); resp.Status != http.StatusOK {
			t.Fatalf("start page: %d", resp.Status)
		}
		b.CheckPage("start-posture", "Security requirements: not met, so opening it is refused", "this notebook can reach the internet", "Security requirements: met")
		if b.Count("#open-fraud-alice-public") != 0 || b.Count("#open-fraud-alice") != 1 {
			t.Errorf("the refused notebook has an Open link, or the compliant one has none:\n%s", b.Body())
		}
	})

	t.Run("warn mode opens and records", func(t *testing.T) {
		bob := NewHTTPUser(t, st, "bob")
		bob.Visit(st.URL+"/open?notebook=marketing-bob-root").MustContain(t, http.StatusOK, `id="notebook-name">marketing-bob-root<`)
		ev := st.LastAudit(t, "open", "bob")
		if ev["decision"] != "granted" || ev["reason"] != "posture" || ev["code"] != "posture_warning" || ev["posture_mode"] != "warn" {
			t.Errorf("warn event = %v", ev)
		}
	})
}
