package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestCLIWaitsOutTheRateLimit: the broker limits each person's requests
// (per_user, 2 a second in bursts of 20 by default) and answers 429 with
// Retry-After; the CLI waits that long once and tries again, rather than
// fail a script that went a little too fast.
func TestCLIWaitsOutTheRateLimit(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.configure()
	c.run("login").want(t, 0)
	tok := c.storedToken("default")

	// Spend alice's burst, as a loop in her script would.
	limited := false
	for i := 0; i < 100 && !limited; i++ {
		req, _ := http.NewRequest(http.MethodGet, st.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		limited = resp.StatusCode == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("100 requests in a burst were all let through")
	}
	r := c.script("list")
	r.want(t, 0, "trying again in 1 second...", "fraud-alice")
	if strings.Contains(r.stderr, "1 seconds") {
		t.Errorf("the CLI says %q", r.stderr)
	}
}
