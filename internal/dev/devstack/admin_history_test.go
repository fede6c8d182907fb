package devstack_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/devstack"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/testutil"
)

// startOn starts a stack whose mapping and history live in dir, so a second
// stack on the same dir is the same broker restarted.
func startOn(t *testing.T, dir string) (*env, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs, auditOut := &testutil.Buffer{}, &testutil.Buffer{}
	st, err := devstack.Start(ctx, devstack.Options{
		Addr: "127.0.0.1:0", MappingDir: dir, AuditOut: auditOut,
		Log: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, st: st, logs: logs, audit: auditOut, responses: &testutil.Buffer{}, secrets: map[string]string{}}, cancel
}

// The dev stack makes new session keys each start, so after a restart no
// history record verifies: the API and the page must show them marked and
// refuse to roll back to them, as for a tampered record.
func TestAdminCannotRollBackToAnUnauthenticatedVersion(t *testing.T) {
	dir := t.TempDir()
	e, stop := startOn(t, dir)
	admin := e.browser("admin").signIn()
	v1, etag := admin.getMapping()
	status, _, body := admin.putMapping(edit(t, v1, "cost-center: cc-1042", "cost-center: cc-9999"), etag)
	wantStatus(t, "PUT", status, body, http.StatusOK, "")
	stop()
	// Someone with write access to the history brings back what they like.
	hist := filepath.Join(dir, "teams.yaml.history")
	evil := edit(t, configs.DevTeams, "admin_groups: [secds-admins]", "admin_groups: [secds-admins, everyone]")
	os.WriteFile(filepath.Join(hist, "000001.yaml"), evil, 0o600)

	e, _ = startOn(t, dir)
	admin = e.browser("admin").signIn()
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
	p := admin.visit(e.st.BrokerURL + "/admin")
	p.mustContain(t, http.StatusOK, `not authenticated`)
	if strings.Contains(p.body, `id="rollback-1"`) {
		t.Error("the admin page offers a rollback to version 1")
	}
	if cur, _ := admin.getMapping(); strings.Contains(string(cur), "everyone") {
		t.Error("the tampered content is live")
	}
}
