package server

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/ratelimit"
)

func TestBucketsRefuseBeyondTheBurstAndRefill(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := newBuckets(ratelimit.Rate{PerSecond: 2, Burst: 3}, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := b.take("a"); !ok {
			t.Fatalf("request %d within the burst was refused", i+1)
		}
	}
	ok, wait := b.take("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request: ok=%v wait=%v, want a refusal with a wait of about 0.5s", ok, wait)
	}
	if ok, _ := b.take("b"); !ok {
		t.Fatal("another key has its own bucket")
	}
	now = now.Add(600 * time.Millisecond)
	if ok, _ := b.take("a"); !ok {
		t.Fatal("the bucket did not refill")
	}
}

func TestBucketsStayBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := newBuckets(ratelimit.Rate{PerSecond: 1, Burst: 1}, func() time.Time { return now })
	for i := 0; i < maxBuckets+10; i++ {
		b.take(strconv.Itoa(i))
	}
	if b.len() > maxBuckets {
		t.Fatalf("%d buckets kept, want at most %d", b.len(), maxBuckets)
	}
	now = now.Add(time.Hour)
	b.take("x")
	if b.len() != 1 {
		t.Fatalf("idle buckets were not dropped: %d left", b.len())
	}
}

// TestAFloodOfFreshKeysResetsNoActiveBucket: when full, the least recently
// used bucket goes, not every bucket (the old map started over, so 100k fresh
// keys gave a limited client a full bucket again).
func TestAFloodOfFreshKeysResetsNoActiveBucket(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := newBuckets(ratelimit.Rate{PerSecond: 0.01, Burst: 2}, func() time.Time { return now })
	b.max = 1000
	b.take("abuser")
	b.take("abuser")
	if ok, _ := b.take("abuser"); ok {
		t.Fatal("the burst was not spent")
	}
	b.take("idle")
	for i := 0; i < 5*b.max; i++ {
		b.take("fresh-" + strconv.Itoa(i))
		if i%100 == 0 {
			if ok, _ := b.take("abuser"); ok {
				t.Fatalf("after %d fresh keys the abuser's spent bucket was full again", i+1)
			}
		}
	}
	if b.len() > b.max {
		t.Errorf("%d buckets, max %d", b.len(), b.max)
	}
	b.mu.Lock()
	_, idleKept := b.m["idle"]
	b.mu.Unlock()
	if idleKept {
		t.Error("the least recently used bucket was kept while the map was full")
	}
}

func TestAddressKey(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.10":                "ip:192.0.2.10",
		"::ffff:192.0.2.10":         "ip:192.0.2.10",
		"2001:db8:1:2:aaaa::1":      "ip6:2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::9": "ip6:2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "ip6:2001:db8:1:3::/64",
		"fe80::1%eth0":              "ip6:fe80::/64",
		"not an address":            "ip:not an address",
	} {
		if got := addressKey(ip); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestNoLimitWhenRateIsZero(t *testing.T) {
	b := newBuckets(ratelimit.Rate{}, time.Now)
	for i := 0; i < 1000; i++ {
		if ok, _ := b.take("a"); !ok {
			t.Fatal("a zero rate means no limit")
		}
	}
}

func TestRateLimitedSaysTheWaitInWords(t *testing.T) {
	for wait, want := range map[time.Duration]string{
		time.Second:            "Wait 1 second and try again.",
		300 * time.Millisecond: "Wait 1 second and try again.",
		3 * time.Second:        "Wait 3 seconds and try again.",
	} {
		var ae *api.Error
		if err := rateLimited("user", wait); !errors.As(err, &ae) || !strings.HasSuffix(ae.Message, want) {
			t.Errorf("rateLimited(%s) = %v, want it to end %q", wait, err, want)
		}
	}
}
