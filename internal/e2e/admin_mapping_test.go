package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/mapstore"
)

func TestAdminEditsTheMapping(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	admin := apiAs(t, st, "admin")
	v1, etag1 := admin.getMapping()
	if !bytes.Equal(v1, configs.DevTeams) {
		t.Fatalf("GET mapping is not the file byte for byte:\n%s", v1)
	}
	changed := edit(t, v1, "cost-center: cc-1042", "cost-center: cc-9999")

	t.Run("refusals change nothing", func(t *testing.T) {
		status, _, body := admin.putMapping(changed, "")
		wantStatus(t, "PUT without If-Match", status, body, http.StatusPreconditionRequired, "if_match_required")
		status, _, body = admin.putMapping(changed, `"9-`+strings.Repeat("0", 64)+`"`)
		wantStatus(t, "PUT with a stale If-Match", status, body, http.StatusPreconditionFailed, "version_conflict")
		status, _, body = admin.putMapping(brokenMapping, etag1)
		wantStatus(t, "PUT of a broken mapping", status, body, http.StatusUnprocessableEntity, "mapping_invalid")
		var inv struct {
			Problems []struct {
				Line, Column int
				Text         string
			}
		}
		if json.Unmarshal(body, &inv); len(inv.Problems) != 2 || inv.Problems[0].Line != 25 || inv.Problems[0].Column != 15 || inv.Problems[1].Line != 26 {
			t.Errorf("problems = %+v, want 25:15 and 26:…", inv.Problems)
		}
		status, _, body = admin.putMapping(noAdmins, etag1)
		wantStatus(t, "PUT that locks the admin out", status, body, http.StatusUnprocessableEntity, "mapping_invalid")
		if !strings.Contains(string(body), "no longer in admin_groups") {
			t.Errorf("lock-out refusal does not say why: %s", body)
		}
		if cur, etag := admin.getMapping(); etag != etag1 || !bytes.Equal(cur, v1) {
			t.Errorf("a refused write changed the mapping to %s", etag)
		}
	})

	t.Run("validate", func(t *testing.T) {
		for _, tc := range []struct {
			content []byte
			valid   bool
		}{{brokenMapping, false}, {changed, true}} {
			status, _, body := admin.call(http.MethodPost, "/api/v1/admin/mapping/validate", tc.content, map[string]string{"Content-Type": "application/yaml"})
			var res struct {
				Valid    bool
				Problems []struct {
					File, Message, Text string
					Line, Column        int
				}
			}
			if err := json.Unmarshal(body, &res); status != http.StatusOK || err != nil || res.Valid != tc.valid {
				t.Fatalf("validate = %d %s, want valid=%v", status, body, tc.valid)
			}
			if !tc.valid && (res.Problems[0].Line != 25 || res.Problems[0].Column != 15 || !strings.Contains(res.Problems[0].Text, ":25:15: role_arn")) {
				t.Errorf("problems = %+v", res.Problems)
			}
		}
	})

	var etag2 string
	t.Run("a valid PUT is live at once", func(t *testing.T) {
		status, h, body := admin.putMapping(changed, etag1)
		if status != http.StatusOK || h.Get("ETag") == "" || h.Get("ETag") == etag1 {
			t.Fatalf("PUT = %d %v %s", status, h, body)
		}
		etag2 = h.Get("ETag")
		if cur, etag := admin.getMapping(); etag != etag2 || !bytes.Equal(cur, changed) {
			t.Errorf("GET after PUT = %s", etag)
		}
		if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, changed) {
			t.Error("the file on disk is not the new mapping")
		}
		if got := st.Broker().Mapping.Mapping().Teams[0].SessionTags["cost-center"]; got != "cc-9999" {
			t.Errorf("served cost-center = %q", got)
		}
	})

	t.Run("history and rollback restore byte for byte", func(t *testing.T) {
		status, _, body := admin.call(http.MethodGet, "/api/v1/admin/mapping/history", nil, nil)
		var hist struct {
			Serving, Latest int64
			Valid           bool
			Versions        []struct {
				Version      int64
				Author, ETag string
			}
		}
		if err := json.Unmarshal(body, &hist); status != http.StatusOK || err != nil || len(hist.Versions) != 2 || hist.Versions[0].Author != "admin" || hist.Serving != 2 || !hist.Valid {
			t.Fatalf("history = %d %s", status, body)
		}
		status, _, old := admin.call(http.MethodGet, "/api/v1/admin/mapping/history/1", nil, nil)
		if status != http.StatusOK || !bytes.Equal(old, configs.DevTeams) {
			t.Errorf("version 1 = %d %q", status, old)
		}
		status, h, body := admin.call(http.MethodPost, "/api/v1/admin/mapping/rollback", []byte(`{"version":1}`), map[string]string{"Content-Type": "application/json", "If-Match": etag2})
		if status != http.StatusOK || !strings.Contains(string(body), `"version":3`) || !strings.Contains(string(body), `"reason":"rollback to 1"`) {
			t.Fatalf("rollback = %d %s", status, body)
		}
		cur, etag := admin.getMapping()
		if !bytes.Equal(cur, configs.DevTeams) || etag != h.Get("ETag") {
			t.Error("after rollback the mapping is not version 1 byte for byte")
		}
		if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, configs.DevTeams) {
			t.Error("after rollback the file on disk is not version 1 byte for byte")
		}
		status, _, body = admin.call(http.MethodPost, "/api/v1/admin/mapping/rollback", []byte(`{"version":1}`), map[string]string{"Content-Type": "application/json", "If-Match": etag2})
		wantStatus(t, "rollback from a stale version", status, body, http.StatusPreconditionFailed, "version_conflict")
	})

	evs := mappingEvents(t, st)
	var granted []map[string]any
	for _, ev := range evs {
		if ev["user"] != "admin" || ev["request_id"] == "" {
			t.Errorf("mapping event without who: %v", ev)
		}
		if ev["decision"] == "granted" {
			granted = append(granted, ev)
		}
	}
	if len(granted) != 2 {
		t.Fatalf("granted mapping changes = %v", granted)
	}
	if ev := granted[1]; ev["from_version"] != 2.0 || ev["to_version"] != 3.0 || ev["from_digest"] == "" || ev["to_digest"] == "" || ev["from_digest"] == ev["to_digest"] {
		t.Errorf("rollback event = %v, want versions and digests before and after", ev)
	}
}

func TestTwoAdminsEditingAtOnce(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	ann, ben := apiAs(t, st, "admin"), apiAs(t, st, "admin")
	base, etag := ann.getMapping()
	if _, etagBen := ben.getMapping(); etagBen != etag {
		t.Fatal("both read different versions")
	}
	edits := [][]byte{
		edit(t, base, "cost-center: cc-1042", "cost-center: cc-ann"),
		edit(t, base, "cost-center: cc-2077", "cost-center: cc-ben"),
	}
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, who := range []*apiUser{ann, ben} {
		wg.Go(func() { statuses[i], _, _ = who.putMapping(edits[i], etag) })
	}
	wg.Wait()
	won, lost := 0, 1
	if statuses[0] != http.StatusOK {
		won, lost = 1, 0
	}
	if statuses[won] != http.StatusOK || statuses[lost] != http.StatusPreconditionFailed {
		t.Fatalf("statuses = %v, want one 200 and one 412", statuses)
	}
	// The loser is told, re-reads, re-applies their change: nothing is lost.
	loser := []*apiUser{ann, ben}[lost]
	cur, etag2 := loser.getMapping()
	if !bytes.Equal(cur, edits[won]) {
		t.Fatal("the current mapping is not the winner's")
	}
	mine := map[int][2]string{0: {"cost-center: cc-1042", "cost-center: cc-ann"}, 1: {"cost-center: cc-2077", "cost-center: cc-ben"}}[lost]
	if status, _, body := loser.putMapping(edit(t, cur, mine[0], mine[1]), etag2); status != http.StatusOK {
		t.Fatalf("retry = %d %s", status, body)
	}
	final, _ := ann.getMapping()
	if !bytes.Contains(final, []byte("cc-ann")) || !bytes.Contains(final, []byte("cc-ben")) {
		t.Errorf("an edit was lost:\n%s", final)
	}
	var conflicts int
	for _, ev := range mappingEvents(t, st) {
		if ev["code"] == "version_conflict" {
			conflicts++
		}
	}
	if conflicts != 1 {
		t.Errorf("%d conflict events, want the refused write audited once", conflicts)
	}
}

// getJSON fetches an unauthenticated ops endpoint.
func getBody(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBrokenMappingOnDiskKeepsServing(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	alice := NewHTTPUser(t, st, "alice")
	alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)

	if err := os.WriteFile(st.MappingFile, brokenMapping, 0o644); err != nil {
		t.Fatal(err)
	}
	var ready string
	eventually(t, "/readyz reports the broken file", time.Second, func() bool {
		status, body := getBody(t, st.URL+"/readyz")
		ready = body
		return status == http.StatusOK && strings.Contains(body, "degraded")
	})
	// Anyone may ask /readyz: it gives counts and versions, not the file,
	// its lines or the role ARNs in them.
	if want := `"mapping":"degraded: 2 problems in the stored mapping version 2; serving version 1"`; !strings.Contains(ready, want) || !strings.Contains(ready, `"ready":true`) {
		t.Errorf("/readyz = %s, want %s", ready, want)
	}
	for _, secret := range []string{"teams.yaml", "role_arn", "nope", "arn:aws", st.MappingFile} {
		if strings.Contains(ready, secret) {
			t.Errorf("/readyz shows %q to anyone: %s", secret, ready)
		}
	}
	if _, metrics := getBody(t, st.Replicas[0].MetricsURL+"/metrics"); !strings.Contains(metrics, "secds_mapping_valid 0") || !strings.Contains(metrics, `secds_mapping_reloads_total{result="invalid"} 1`) {
		t.Errorf("/metrics does not show the invalid mapping:\n%s", grepLines(metrics, "secds_mapping"))
	}
	if !strings.Contains(st.Logs.String(), "teams.yaml:25:15") {
		t.Error("the log does not name the mistake with file:line:col")
	}
	// Still serving the last good mapping.
	alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	admin := apiAs(t, st, "admin")
	admin.Visit(st.URL+"/admin").MustContain(t, http.StatusOK, `data-valid="false"`, "Version 2 is invalid", `id="mapping-version">1<`, "teams.yaml:25:15")
	// The details /readyz leaves out are for admins.
	admin.Visit(st.URL+"/api/v1/admin/readiness").MustContain(t, http.StatusOK, `"valid":false`, `"serving":1`, `"latest":2`, "teams.yaml:25:15: role_arn", "teams.yaml:26:27: role_session_seconds")
	alice.Visit(st.URL+"/api/v1/admin/readiness").MustContain(t, http.StatusForbidden, "not_admin")

	// Fixed on disk: back to ready, the fix served.
	fixed := edit(t, configs.DevTeams, "cost-center: cc-1042", "cost-center: cc-fixed")
	if err := os.WriteFile(st.MappingFile, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed file is served", time.Second, func() bool {
		_, body := getBody(t, st.URL+"/readyz")
		return strings.Contains(body, `"mapping":"ok"`)
	})
	if got := st.Broker().Mapping.Mapping().Teams[0].SessionTags["cost-center"]; got != "cc-fixed" {
		t.Errorf("served cost-center = %q after the fix", got)
	}
	if _, metrics := getBody(t, st.Replicas[0].MetricsURL+"/metrics"); !strings.Contains(metrics, "secds_mapping_valid 1") || !strings.Contains(metrics, "secds_mapping_version 3") {
		t.Errorf("/metrics after the fix:\n%s", grepLines(metrics, "secds_mapping"))
	}
	evs := mappingEvents(t, st)
	if len(evs) != 2 || evs[0]["code"] != "mapping_invalid" || evs[1]["decision"] != "granted" || evs[1]["via"] != "file" {
		t.Errorf("mapping events = %v, want the refused and the served change on disk", evs)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The dev stack makes new session keys each start, so after a restart no
// history record verifies: the API and the page must show them marked and
// refuse to roll back to them, as for a tampered record.
func TestAdminCannotRollBackToAnUnauthenticatedVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := StartStack(t, StackOptions{MappingDir: dir})
	admin := apiAs(t, st, "admin")
	v1, etag := admin.getMapping()
	status, _, body := admin.putMapping(edit(t, v1, "cost-center: cc-1042", "cost-center: cc-9999"), etag)
	wantStatus(t, "PUT", status, body, http.StatusOK, "")
	st.Stop()
	// Someone with write access to the history brings back what they like.
	hist := filepath.Join(dir, "teams.yaml.history")
	evil := edit(t, configs.DevTeams, "admin_groups: [secds-admins]", "admin_groups: [secds-admins, everyone]")
	if err := os.WriteFile(filepath.Join(hist, "000001.yaml"), evil, 0o600); err != nil {
		t.Fatal(err)
	}

	st = StartStack(t, StackOptions{MappingDir: dir})
	admin = apiAs(t, st, "admin")
	status, _, body = admin.call(http.MethodGet, "/api/v1/admin/mapping/history", nil, nil)
	var h struct {
		Versions []struct {
			Version    int64
			Unverified string
		}
	}
	if err := json.Unmarshal(body, &h); status != http.StatusOK || err != nil || len(h.Versions) < 2 {
		t.Fatalf("history = %d %s", status, body)
	}
	old := h.Versions[len(h.Versions)-1]
	if old.Version != 1 || old.Unverified != mapstore.UnverifiedBadMAC {
		t.Errorf("version 1 in the history = %+v, want it marked %q", old, mapstore.UnverifiedBadMAC)
	}
	status, _, body = admin.call(http.MethodPost, "/api/v1/admin/mapping/rollback", []byte(`{"version":1}`), map[string]string{"Content-Type": "application/json"})
	wantStatus(t, "rollback to an unauthenticated version", status, body, http.StatusConflict, "version_unverified")
	status, _, body = admin.call(http.MethodGet, "/api/v1/admin/mapping/history/1", nil, nil)
	wantStatus(t, "GET an unauthenticated version", status, body, http.StatusConflict, "version_unverified")
	if strings.Contains(string(body), "everyone") {
		t.Error("the tampered content was served")
	}
	p := admin.Visit(st.URL + "/admin")
	p.MustContain(t, http.StatusOK, `not authenticated`)
	if strings.Contains(p.Body, `id="rollback-1"`) {
		t.Error("the admin page offers a rollback to version 1")
	}
	if cur, _ := admin.getMapping(); strings.Contains(string(cur), "everyone") {
		t.Error("the tampered content is live")
	}
}
