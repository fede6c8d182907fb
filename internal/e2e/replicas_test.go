package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestLoginCompletesOnAnotherReplica: the login round trip rides in a
// sealed cookie, so a login started on one replica completes on the other,
// and the session made there works on the first.
func TestLoginCompletesOnAnotherReplica(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t), Replicas: 2})
	for _, tc := range []struct{ user, notebook, team string }{
		{"alice", "fraud-alice", "fraud"},
		{"bob", "marketing-bob", "marketing"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			before := len(st.Proxy.Hops())
			p := NewHTTPUser(t, st, tc.user).Visit(st.URL + "/open?notebook=" + tc.notebook)
			p.MustContain(t, http.StatusOK, `id="notebook-name">`+tc.notebook+`<`, `id="source-identity">`+tc.user+`<`, `id="team">`+tc.team+`<`)

			hops := st.Proxy.Hops()[before:]
			start, callback, open := -1, -1, -1
			for _, h := range hops {
				switch {
				case h.Path == "/open" && h.Status == http.StatusFound && strings.HasPrefix(h.Location, st.Provider.Hydra.PublicURL):
					start = h.Backend
				case h.Path == "/callback" && h.Status == http.StatusFound:
					callback = h.Backend
				case h.Path == "/open" && h.Status == http.StatusFound && start >= 0:
					open = h.Backend
				}
			}
			if start < 0 || callback < 0 || open < 0 {
				t.Fatalf("the flow through the proxy is not start, callback, open: %+v", hops)
			}
			if start == callback {
				t.Errorf("the login started and completed on replica %d; the proxy should have alternated: %+v", start, hops)
			}
			if open == callback {
				t.Errorf("the session was used on the replica that made it (%d); want the other: %+v", open, hops)
			}
		})
	}
}
