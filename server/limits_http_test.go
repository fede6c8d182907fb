package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secds/secds/internal/ratelimit"
)

// withLimits sets the server's rates; a zero Rate is no limit.
func withLimits(l ratelimit.Limits) func(*Config) { return func(c *Config) { c.Limits = &l } }

// slow refills about never within a test.
func slow(burst int) ratelimit.Rate { return ratelimit.Rate{PerSecond: 0.0001, Burst: burst} }

func TestPerUserBucketIsTheVerifiedSubject(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withLimits(ratelimit.Limits{PerUser: slow(3)}))
	tok := ts.token("alice")
	// Three spellings of one header, then a fourth: one bucket, not four.
	for i, h := range []string{"Bearer " + tok, "Bearer   " + tok, "bearer " + tok + "  "} {
		if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil, "Authorization", h); w.Code == http.StatusTooManyRequests {
			t.Fatalf("request %d within the burst was limited", i+1)
		}
	}
	w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil, "Authorization", "BEARER    "+tok)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "from your user") {
		t.Fatalf("4th request with a reworded header = %d %s, want 429 for the user", w.Code, w.Body)
	}
	// The same person in the browser, from another address: the same bucket.
	ts.remote = "198.51.100.7:1234"
	if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, ts.session("alice")); w.Code != http.StatusTooManyRequests {
		t.Errorf("alice's session from another address = %d, want 429 (one bucket per person)", w.Code)
	}
	// Someone else is not limited by alice.
	if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil, "Authorization", "Bearer "+ts.token("bob")); w.Code == http.StatusTooManyRequests {
		t.Error("bob was limited by alice's bucket")
	}
}

func TestUnverifiedRequestsFallToTheAddressBucket(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withLimits(ratelimit.Limits{PerIP: slow(5), PerUser: slow(1)}))
	// Forged tokens are not people: they have no user bucket to be limited
	// by (so a forger cannot spend alice's), only the address's.
	for i := 0; i < 5; i++ {
		if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil, "Authorization", "Bearer forged-"+strings.Repeat("x", i)); w.Code == http.StatusTooManyRequests {
			t.Fatalf("forged token %d was limited as a user: %s", i+1, w.Body)
		}
	}
	if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil, "Authorization", "Bearer forged-6"); w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "from your address") {
		t.Errorf("6th forged token from one address = %d %s, want 429 for the address", w.Code, w.Body)
	}
}

func TestIPv6ClientsShareABucketPer64(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withLimits(ratelimit.Limits{PerIP: slow(2)}))
	for i, addr := range []string{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:dead:beef:0:1]:1001"} {
		ts.remote = addr
		if w := ts.do(http.MethodGet, "/login-nothing", nil, nil); w.Code == http.StatusTooManyRequests {
			t.Fatalf("an uncosted path was limited (%d)", i)
		}
		if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil); w.Code == http.StatusTooManyRequests {
			t.Fatalf("request %d within the burst was limited", i+1)
		}
	}
	ts.remote = "[2001:db8:1:2::ffff]:1002"
	if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("a third address in the same /64 = %d, want 429", w.Code)
	}
	ts.remote = "[2001:db8:1:3::1]:1003"
	if w := ts.do(http.MethodGet, "/api/v1/nothing", nil, nil); w.Code == http.StatusTooManyRequests {
		t.Error("the next /64 was limited with this one")
	}
}

func TestLandingPageIsLimited(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withLimits(ratelimit.Limits{PerIP: slow(2)}))
	for i := 0; i < 2; i++ {
		if w := ts.do(http.MethodGet, "/", nil, nil); w.Code != http.StatusOK {
			t.Fatalf("GET / %d = %d", i+1, w.Code)
		}
	}
	if w := ts.do(http.MethodGet, "/", nil, nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("GET / beyond the burst = %d, want 429: the landing page lists notebooks with AWS calls", w.Code)
	}
	if w := ts.do(http.MethodGet, "/healthz", nil, nil); w.Code != http.StatusOK {
		t.Errorf("/healthz = %d while / is limited", w.Code)
	}
}

// The server has no default limits of its own (internal/config has them).
func TestNewWantsLimits(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "no rate limits") {
		t.Fatalf("New without limits: %v", err)
	}
}
