package broker

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestCredCacheKeepsOnlyFreshSessionsAndStaysBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newCredCache(func() time.Time { return now })
	c.max = 2
	live := aws.Credentials{AccessKeyID: "A", CanExpire: true, Expires: now.Add(15 * time.Minute)}
	c.put("never-expires", aws.Credentials{AccessKeyID: "B"})
	c.put("nearly-expired", aws.Credentials{AccessKeyID: "C", CanExpire: true, Expires: now.Add(4 * time.Minute)})
	if len(c.entries) != 0 {
		t.Fatalf("kept %d sessions that must not be reused", len(c.entries))
	}
	c.put("a", live)
	c.put("b", live)
	c.put("c", live)
	if len(c.entries) != 2 {
		t.Fatalf("%d entries, want the bound of 2", len(c.entries))
	}
	if _, ok := c.get("a"); !ok {
		t.Fatal("a fresh session was not reused")
	}
	now = now.Add(11 * time.Minute)
	if _, ok := c.get("a"); ok {
		t.Fatal("a session within 5 minutes of expiry was reused")
	}
	c.put("d", aws.Credentials{CanExpire: true, Expires: now.Add(time.Hour)})
	if _, ok := c.get("d"); !ok {
		t.Fatal("expired entries must make room for new ones")
	}
}
