package server

import (
	"testing"
	"time"
)

func TestBucketsRefuseBeyondTheBurstAndRefill(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := newBuckets(Rate{PerSecond: 2, Burst: 3}, func() time.Time { return now })
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
	b := newBuckets(Rate{PerSecond: 1, Burst: 1}, func() time.Time { return now })
	for i := 0; i < maxBuckets+10; i++ {
		b.take(string(rune(i)))
	}
	if len(b.m) > maxBuckets {
		t.Fatalf("%d buckets kept, want at most %d", len(b.m), maxBuckets)
	}
	now = now.Add(time.Hour)
	b.take("x")
	if len(b.m) != 1 {
		t.Fatalf("idle buckets were not dropped: %d left", len(b.m))
	}
}

func TestNoLimitWhenRateIsZero(t *testing.T) {
	b := newBuckets(Rate{}, time.Now)
	for i := 0; i < 1000; i++ {
		if ok, _ := b.take("a"); !ok {
			t.Fatal("a zero rate means no limit")
		}
	}
}
