package mapstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/testutil"
)

type liveEnv struct {
	path  string
	store *mapstore.File
	live  *mapstore.Live
	reg   *prometheus.Registry
	logs  *testutil.Buffer
	audit *testutil.Buffer
}

func startLive(t *testing.T, seed []byte) *liveEnv {
	t.Helper()
	e := &liveEnv{path: filepath.Join(t.TempDir(), "teams.yaml"), reg: prometheus.NewRegistry(), logs: &testutil.Buffer{}, audit: &testutil.Buffer{}}
	e.store = openFile(t, e.path, seed)
	e.open(t)
	return e
}

func (e *liveEnv) open(t *testing.T) error {
	t.Helper()
	e.reg = prometheus.NewRegistry()
	live, err := mapstore.NewLive(t.Context(), e.store, mapstore.LiveOptions{
		Name: e.path, Log: slog.New(slog.NewTextHandler(e.logs, nil)), Audit: audit.NewWriter(e.audit, nil), Metrics: e.reg,
	})
	e.live = live
	return err
}

func (e *liveEnv) metric(t *testing.T, name, label string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s{%s} not found", name, label)
	return 0
}

func (e *liveEnv) auditEvents(t *testing.T) []audit.Event {
	t.Helper()
	var out []audit.Event
	for _, line := range strings.Split(strings.TrimSpace(e.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var ev audit.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

// eventually polls cond for up to a second, the promise for changes on disk.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a second", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var (
	withNewTeam = append(bytes.Clone(configs.DevTeams), []byte(`  - name: risk
    match:
      - groups: [ds-risk]
    role_arn: arn:aws:iam::123456789012:role/secds-team-risk
`)...)
	broken = bytes.Replace(bytes.Clone(configs.DevTeams), []byte("role_arn: arn:aws:iam::123456789012:role/secds-team-marketing"), []byte("role_arn: nope\n    role_session_seconds: 5"), 1)
)

func teams(m *abac.Mapping) string {
	var names []string
	for _, t := range m.Teams {
		names = append(names, t.Name)
	}
	return strings.Join(names, ",")
}

func TestLiveBrokenFileKeepsTheLastGoodMapping(t *testing.T) {
	e := startLive(t, configs.DevTeams)
	good := e.live.Mapping()
	if e.live.Ready(context.Background()) != nil || e.metric(t, "secds_mapping_valid", "") != 1 {
		t.Fatal("a valid mapping is not ready")
	}

	os.WriteFile(e.path, broken, 0o644)
	eventually(t, "the broken version is noticed", func() bool { return !e.live.State().Valid() })
	if e.live.Mapping() != good {
		t.Fatal("a broken file replaced the live mapping")
	}
	err := e.live.Ready(context.Background())
	var stale *mapstore.StaleError
	if !errors.As(err, &stale) || !stale.Degraded() {
		t.Fatalf("Ready = %v, want a degraded StaleError", err)
	}
	for _, want := range []string{"serving mapping version 1; version 2 is invalid", e.path + ":25:15: role_arn \"nope\"", e.path + ":26:27: role_session_seconds must be"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Ready error lacks %q: %v", want, err)
		}
	}
	for _, pos := range []string{e.path + ":25:15: ", e.path + ":26:27: "} {
		if !strings.Contains(e.logs.String(), pos) {
			t.Errorf("log lacks %q:\n%s", pos, e.logs.String())
		}
	}
	if e.metric(t, "secds_mapping_valid", "") != 0 || e.metric(t, "secds_mapping_reloads_total", "invalid") != 1 || e.metric(t, "secds_mapping_version", "") != 1 {
		t.Error("metrics do not show the invalid version")
	}

	os.WriteFile(e.path, withNewTeam, 0o644)
	eventually(t, "the fixed file is served", func() bool { return teams(e.live.Mapping()) == "fraud,marketing,platform,risk" })
	if e.live.Ready(context.Background()) != nil || e.metric(t, "secds_mapping_valid", "") != 1 || e.metric(t, "secds_mapping_version", "") != 3 {
		t.Error("the broker did not recover once the file was fixed")
	}
	evs := e.auditEvents(t)
	if len(evs) != 2 || evs[0].Code != "mapping_invalid" || evs[0].Via != "file" || evs[1].Decision != audit.Granted || evs[1].ToVersion != 3 || evs[1].FromVersion != 2 {
		t.Errorf("audit = %+v, want the refused and the served change on disk", evs)
	}
}

func TestLiveRestartsOnTheLastGoodVersion(t *testing.T) {
	e := startLive(t, configs.DevTeams)
	os.WriteFile(e.path, broken, 0o644)
	eventually(t, "the broken version is noticed", func() bool { return !e.live.State().Valid() })

	if err := e.open(t); err != nil {
		t.Fatalf("a restart with a broken file but a valid history: %v", err)
	}
	st := e.live.State()
	if st.Serving.Number != 1 || st.Latest.Number != 2 || teams(st.Mapping) != "fraud,marketing,platform" {
		t.Errorf("after restart serving %d latest %d", st.Serving.Number, st.Latest.Number)
	}

	t.Run("no valid version at all", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "teams.yaml")
		s := openFile(t, path, broken)
		_, err := mapstore.NewLive(t.Context(), s, mapstore.LiveOptions{Name: "teams.yaml", Log: quietLog()})
		if err == nil || !strings.Contains(err.Error(), "teams.yaml:25:15") {
			t.Errorf("err = %v, want the problems", err)
		}
	})
}

func TestLiveUpdate(t *testing.T) {
	e := startLive(t, configs.DevTeams)
	v1 := e.live.State().Latest.Version
	by := mapstore.By{Username: "admin", Via: "api", RequestID: "r1"}

	t.Run("invalid content changes nothing", func(t *testing.T) {
		_, err := e.live.Update(context.Background(), mapstore.Update{Content: broken, Expected: v1, Reason: "edit", By: by})
		var ps abac.Problems
		if !errors.As(err, &ps) || len(ps) != 2 {
			t.Fatalf("err = %v, want 2 problems", err)
		}
		if cur, _ := e.store.Get(context.Background()); cur.Version != v1 {
			t.Errorf("the store moved to %v", cur.Version)
		}
	})
	var v2 mapstore.Revision
	t.Run("a valid update is served at once", func(t *testing.T) {
		var err error
		v2, err = e.live.Update(context.Background(), mapstore.Update{Content: withNewTeam, Expected: v1, Reason: "edit", By: by})
		if err != nil {
			t.Fatal(err)
		}
		if teams(e.live.Mapping()) != "fraud,marketing,platform,risk" || e.live.State().Serving.Version != v2.Version {
			t.Errorf("not served on return: %s", teams(e.live.Mapping()))
		}
	})
	t.Run("a stale update conflicts", func(t *testing.T) {
		_, err := e.live.Update(context.Background(), mapstore.Update{Content: configs.DevTeams, Expected: v1, Reason: "edit", By: by})
		if !errors.Is(err, mapstore.ErrConflict) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("rollback restores byte for byte", func(t *testing.T) {
		r, err := e.live.Rollback(context.Background(), v1.Number, mapstore.Update{Expected: v2.Version, By: by})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Content, configs.DevTeams) || r.Number != v2.Number+1 || r.Reason != "rollback to 1" {
			t.Errorf("rollback = %+v", r.Entry)
		}
		if b, _ := os.ReadFile(e.path); !bytes.Equal(b, configs.DevTeams) {
			t.Error("the file is not byte-identical to version 1")
		}
		if teams(e.live.Mapping()) != "fraud,marketing,platform" {
			t.Errorf("served = %s", teams(e.live.Mapping()))
		}
	})
	evs := e.auditEvents(t)
	want := []struct{ decision, code string }{{audit.Denied, "mapping_invalid"}, {audit.Granted, ""}, {audit.Denied, "version_conflict"}, {audit.Granted, ""}}
	if len(evs) != len(want) {
		t.Fatalf("audit events = %+v", evs)
	}
	for i, w := range want {
		ev := evs[i]
		if ev.Type != audit.TypeMappingChange || ev.Decision != w.decision || ev.Code != w.code || ev.Username != "admin" || ev.RequestID != "r1" {
			t.Errorf("event %d = %+v, want %s %s", i, ev, w.decision, w.code)
		}
	}
	if ev := evs[3]; ev.FromVersion != 2 || ev.ToVersion != 3 || ev.FromDigest != v2.Digest || ev.ToDigest != mapstore.Digest(configs.DevTeams) {
		t.Errorf("rollback event = %+v, want versions and digests before and after", ev)
	}
}

func TestLiveTwoAdminsEditingAtOnce(t *testing.T) {
	e := startLive(t, configs.DevTeams)
	base := e.live.State().Latest.Version
	alice := bytes.Replace(bytes.Clone(configs.DevTeams), []byte("cc-1042"), []byte("cc-alice"), 1)
	bob := bytes.Replace(bytes.Clone(configs.DevTeams), []byte("cc-2077"), []byte("cc-bob"), 1)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, content := range [][]byte{alice, bob} {
		wg.Go(func() {
			_, errs[i] = e.live.Update(context.Background(), mapstore.Update{Content: content, Expected: base, Reason: "edit"})
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errs = %v; want exactly one winner", errs)
	}
	loser := 0
	if errs[0] == nil {
		loser = 1
	}
	if !errors.Is(errs[loser], mapstore.ErrConflict) {
		t.Fatalf("loser err = %v, want ErrConflict", errs[loser])
	}
	// The loser re-reads, re-applies their change and writes again: both
	// changes survive.
	cur, _ := e.store.Get(context.Background())
	merged := bytes.Replace(bytes.Replace(cur.Content, []byte("cc-1042"), []byte("cc-alice"), 1), []byte("cc-2077"), []byte("cc-bob"), 1)
	if _, err := e.live.Update(context.Background(), mapstore.Update{Content: merged, Expected: cur.Version, Reason: "edit"}); err != nil {
		t.Fatal(err)
	}
	final, _ := e.store.Get(context.Background())
	if !bytes.Contains(final.Content, []byte("cc-alice")) || !bytes.Contains(final.Content, []byte("cc-bob")) {
		t.Errorf("an edit was lost:\n%s", final.Content)
	}
}

func TestLiveFollowsAConfigMapUpdate(t *testing.T) {
	cm := newConfigMapDir(t, configs.DevTeams)
	s := openFile(t, filepath.Join(cm.dir, "teams.yaml"), nil)
	live, err := mapstore.NewLive(t.Context(), s, mapstore.LiveOptions{Name: "teams.yaml", Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	cm.update(withNewTeam)
	eventually(t, "the new ConfigMap content is served", func() bool { return teams(live.Mapping()) == "fraud,marketing,platform,risk" })
	cm.update(broken)
	eventually(t, "the broken ConfigMap content is refused", func() bool { return !live.State().Valid() })
	if teams(live.Mapping()) != "fraud,marketing,platform,risk" {
		t.Error("a broken ConfigMap replaced the live mapping")
	}
}

// The mapping's name comes from the configuration; the store invents none.
func TestNewLiveWantsAName(t *testing.T) {
	if _, err := mapstore.NewLive(t.Context(), nil, mapstore.LiveOptions{Log: quietLog()}); err == nil {
		t.Fatal("NewLive without a name: no error")
	}
}
