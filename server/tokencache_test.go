package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCachedTokenStillChecksRevocations: auth.Tokens remembers a verified
// token, but the revocation store is asked on every request, so a token
// verified (and cached) before an admin revokes it is refused right after,
// on the open route as on the others.
func TestCachedTokenStillChecksRevocations(t *testing.T) {
	revs := &fakeRevocations{}
	clock := time.Now()
	ts := newTestServer(t, "https://notebooks.example", func(c *Config) {
		c.Revocations = revs
		c.Now = func() time.Time { return clock }
	})
	tok := ts.token("alice")
	open := func() *httptest.ResponseRecorder {
		return ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":"ds-alice","team":"ds"}`), nil, append(bearer(tok), jsonBody...)...)
	}
	for range 2 {
		if w := open(); w.Code != http.StatusOK {
			t.Fatalf("open before the revocation = %d %s", w.Code, w.Body)
		}
	}
	if ts.tokens.CacheStats().Size == 0 {
		t.Fatal("the token was not cached: this test would prove nothing")
	}
	if err := revs.Revoke(t.Context(), "user:alice", clock.Truncate(time.Second).Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	wantError(t, "open with a revoked cached token", open(), http.StatusUnauthorized, "token_revoked")
	wantError(t, "me with a revoked cached token", ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(tok)...), http.StatusUnauthorized, "token_revoked")
}

// TestBearerVerifiedOncePerRequest: the rate limiter keys its per-user
// bucket by the verified token and the API guard then judges the same
// token; the two share one verification, so a request costs one cache
// lookup (the first a miss, each later one a hit), not two.
func TestBearerVerifiedOncePerRequest(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example") // default limits: the per-user bucket is on
	tok := ts.token("alice")
	before := ts.tokens.CacheStats()
	for i := range 3 {
		if w := ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":"ds-alice","team":"ds"}`), nil, append(bearer(tok), jsonBody...)...); w.Code != http.StatusOK {
			t.Fatalf("open %d = %d %s", i, w.Code, w.Body)
		}
	}
	after := ts.tokens.CacheStats()
	if misses, hits := after.Misses-before.Misses, after.Hits-before.Hits; misses != 1 || hits != 2 {
		t.Errorf("3 opens with one token: %d cache misses and %d hits, want 1 and 2 (one verification per request)", misses, hits)
	}
}
