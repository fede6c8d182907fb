package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

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
