package devstack_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/devstack"
	"github.com/secds/secds/internal/mapstore"
)

// TestStart: the dev stack comes up on loopback with every piece answering
// and its mapping seeded. The journeys through it live in internal/e2e.
func TestStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler), AuditOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{st.BrokerURL + "/readyz", st.MetricsURL + "/metrics", st.IdPURL + "/.well-known/openid-configuration"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", u, resp.StatusCode)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(st.BrokerURL + "/open?notebook=fraud-alice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, st.IdPURL) {
		t.Errorf("/open without a session goes to %q, want the dev identity provider", loc)
	}
	if st.MappingFile == "" || st.AWSURL == "" {
		t.Errorf("stack = %+v", st)
	}
}

// TestMappingEditsReachIAM: when an admin edits the dev stack's mapping,
// the emulator gets the edited mapping's generated policies, as an admin
// applying `secds admin iam` would.
func TestMappingEditsReachIAM(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler), AuditOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	const risk = "arn:aws:iam::123456789012:role/secds-team-risk"
	if _, ok := st.AWS.Role("arn:aws:iam::123456789012:role/secds-team-fraud"); !ok {
		t.Fatal("the dev mapping's fraud role is not in the emulator")
	}
	if _, ok := st.AWS.Role(risk); ok {
		t.Fatal("the risk role exists before the edit")
	}
	edited := string(configs.DevTeams) + `  - name: risk
    match: [{groups: [ds-risk]}]
    role_arn: ` + risk + `
    notebooks: {tags: {owner: "{{.Username}}"}}
`
	if err := os.WriteFile(st.MappingFile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// The file is picked up in the background; wait for the role.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r, ok := st.AWS.Role(risk); ok {
			if r.TrustPolicy == "" {
				t.Errorf("the new role has no trust policy")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the edited mapping's role never reached the emulator")
		}
	}
}

// TestStateDirOutlivesARestart: a stack started again on the same state
// directory serves the mapping edited in the first (with its history) and
// accepts the CLI tokens the first issued; the keys file is the owner's
// only.
func TestStateDirOutlivesARestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secds-dev")
	start := func(addr string) (*devstack.Stack, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		st, err := devstack.Start(ctx, devstack.Options{Addr: addr, Log: slog.New(slog.DiscardHandler), AuditOut: io.Discard, StateDir: dir})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		return st, cancel
	}
	st, stop := start("127.0.0.1:0")
	if !st.Kept || st.StateDir != dir || st.MappingFile != filepath.Join(dir, "teams.yaml") {
		stop()
		t.Fatalf("stack = %+v, want its state kept in %s", st, dir)
	}
	edited := string(configs.DevTeams) + `  - name: risk
    match: [{groups: [ds-risk]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-risk
    notebooks: {tags: {owner: "{{.Username}}"}}
`
	if _, err := st.Broker.Mapping.Update(context.Background(), mapstore.Update{Content: []byte(edited), Expected: st.Broker.Mapping.State().Latest.Version, By: mapstore.By{Username: "admin"}, Reason: "add risk"}); err != nil {
		stop()
		t.Fatal(err)
	}
	tok, err := st.Broker.Tokens.Issue(abac.Identity{Subject: "alice-sub", Username: "alice", Groups: []string{"ds-fraud"}})
	if err != nil {
		stop()
		t.Fatal(err)
	}
	stop()
	time.Sleep(200 * time.Millisecond) // the first stack lets go of its files

	// Again on the same address: a CLI token names its broker (the
	// issuer), and the dev broker's is its URL.
	st, stop = start(strings.TrimPrefix(st.BrokerURL, "http://"))
	defer stop()
	if !hasTeam(st.Broker.Mapping.Mapping(), "risk") {
		t.Error("the restarted stack lost the mapping edit")
	}
	if v := st.Broker.Mapping.State().Serving.Number; v < 2 {
		t.Errorf("the restarted stack serves version %d, want the edit's (history kept)", v)
	}
	if _, err := st.Broker.Tokens.Verify(tok.Raw); err != nil {
		t.Errorf("the restarted stack refuses the first one's CLI token: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keys.json mode %o, want 600", fi.Mode().Perm())
	}
}

// TestTemporaryStateIsNotKept: without a state directory every start is
// new and its directory goes when the stack stops.
func TestTemporaryStateIsNotKept(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler), AuditOut: io.Discard})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if st.Kept {
		t.Error("a temporary state directory is reported as kept")
	}
	cancel()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(st.StateDir); errors.Is(err, fs.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still there after the stack stopped", st.StateDir)
		}
	}
}

func hasTeam(m *abac.Mapping, name string) bool {
	for _, t := range m.Teams {
		if t.Name == name {
			return true
		}
	}
	return false
}
