package server

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// The client address an open is recorded and pinned with: the TCP peer,
// unless the peer is a trusted proxy; then the right-most X-Forwarded-For
// entry that is not itself a trusted proxy. X-Forwarded-For from anyone
// else is ignored, so a client cannot pin a URL to an address of its
// choosing.
func TestClientAddressOfAnOpen(t *testing.T) {
	_, proxies, _ := net.ParseCIDR("10.0.0.0/8")
	for _, c := range []struct {
		name, peer, xff, want string
	}{
		{"untrusted peer, forged header", "192.0.2.10:40000", "198.51.100.9", "192.0.2.10"},
		{"trusted proxy", "10.1.2.3:40000", "198.51.100.9", "198.51.100.9"},
		{"trusted proxy, forged left entry", "10.1.2.3:40000", "203.0.113.66, 198.51.100.9", "198.51.100.9"},
		{"two trusted proxies", "10.1.2.3:40000", "198.51.100.9, 10.9.9.9", "198.51.100.9"},
		{"trusted proxy, no header", "10.1.2.3:40000", "", "10.1.2.3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, "https://notebooks.example", func(cfg *Config) { cfg.TrustedProxies = []*net.IPNet{proxies} })
			ts.remote = c.peer
			headers := append(bearer(ts.token("alice")), jsonBody...)
			if c.xff != "" {
				headers = append(headers, "X-Forwarded-For", c.xff)
			}
			if w := ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":"ds-alice","team":"ds"}`), nil, headers...); w.Code != http.StatusOK {
				t.Fatalf("open = %d %s", w.Code, w.Body)
			}
			ts.broker.mu.Lock()
			got := ts.broker.opens[len(ts.broker.opens)-1].ClientIP
			ts.broker.mu.Unlock()
			if got != c.want {
				t.Errorf("client address %q, want %q", got, c.want)
			}
		})
	}
}
