package awsemu

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPresignedPruneCadence: the token map is swept at most once a second
// of the emulator's clock, so links long expired may linger for up to a
// second, yet a link is refused from the moment it expires, and after the
// clock moves on the map holds only what is recent.
func TestPresignedPruneCadence(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	env := newTestEnv(t, WithClock(func() time.Time { return start }), WithMaxClockSkew(0))
	held := func() int {
		env.emu.mu.Lock()
		defer env.emu.mu.Unlock()
		return len(env.emu.presigned)
	}
	refused := func(link, want string) {
		t.Helper()
		resp, body := get(t, http.DefaultClient, link)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, want) {
			t.Errorf("status %d, body %s; want 403 with %q", resp.StatusCode, body, want)
		}
	}

	first := env.presign(t, "fraud-alice") // a sweep at 0
	// At 65 minutes the first link is not yet past its retention: kept.
	env.emu.Advance(presignedURLLifetime + presignedRetention)
	env.presign(t, "fraud-alice")
	if n := held(); n != 2 {
		t.Fatalf("%d links held at 65m, want 2", n)
	}
	// Half a second later it is, but the last sweep was half a second ago.
	env.emu.Advance(pruneEvery / 2)
	env.presign(t, "fraud-alice")
	if n := held(); n != 3 {
		t.Fatalf("%d links held half a second after a sweep, want 3 (no sweep yet)", n)
	}
	refused(first, "This sign-in link has expired")
	// A second after the last sweep, the next presign sweeps.
	env.emu.Advance(pruneEvery / 2)
	env.presign(t, "fraud-alice")
	if n := held(); n != 3 {
		t.Fatalf("%d links held a second after a sweep, want 3 (the first one gone)", n)
	}
	refused(first, "This sign-in link is not valid")
	// Hours later, only the new link is held.
	env.emu.Advance(2 * time.Hour)
	fresh := env.presign(t, "fraud-alice")
	if n := held(); n != 1 {
		t.Fatalf("%d links held two hours later, want 1", n)
	}
	if resp, body := get(t, http.DefaultClient, fresh); resp.StatusCode != http.StatusOK {
		t.Errorf("fresh link: status %d: %s", resp.StatusCode, body)
	}
}

// TestSessionPruneCadence: sessions long expired are forgotten at most once
// a second of the emulator's clock; until then an expired session is
// refused as expired, afterwards as unknown, and after the clock moves on
// only recent sessions are held.
func TestSessionPruneCadence(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	env := newTestEnv(t, WithClock(func() time.Time { return start }), WithMaxClockSkew(0))
	held := func() int {
		env.emu.mu.Lock()
		defer env.emu.mu.Unlock()
		return len(env.emu.sessions)
	}
	assume := func() { env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"}) }
	first := env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"}) // a sweep at 0
	firstSTS := env.sts(*first.AccessKeyId, *first.SecretAccessKey, *first.SessionToken)
	refusedAs := func(want string) {
		t.Helper()
		if got, _ := callBoth(t, firstSTS, env.adminSageMaker()); got != want {
			t.Errorf("the first session is refused with %q, want %q", got, want)
		}
	}

	env.emu.Advance(first.Expiration.Sub(start) + sessionRetention)
	assume()
	if n := held(); n != 2 {
		t.Fatalf("%d sessions held at the end of the retention, want 2", n)
	}
	env.emu.Advance(pruneEvery / 2)
	assume()
	if n := held(); n != 3 {
		t.Fatalf("%d sessions held half a second after a sweep, want 3 (no sweep yet)", n)
	}
	refusedAs("ExpiredToken")
	env.emu.Advance(pruneEvery / 2)
	assume()
	if n := held(); n != 3 {
		t.Fatalf("%d sessions held a second after a sweep, want 3 (the first one gone)", n)
	}
	refusedAs("InvalidClientTokenId")
	env.emu.Advance(48 * time.Hour)
	assume()
	if n := held(); n != 1 {
		t.Fatalf("%d sessions held two days later, want 1", n)
	}
}
