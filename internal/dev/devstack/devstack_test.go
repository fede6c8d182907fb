package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/devstack"
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
