package broker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/dev/awsemu"
)

// Two teams' roles list the same account: the second listing takes the
// notebooks' tags from the first instead of calling ListTags again, and
// counts as old as those tags, so no list it serves is older than the TTL.
func TestTeamsShareNotebookTags(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: now, DiscoveryTTL: 30 * time.Second})
	bob := abac.Identity{Subject: "dev-bob", Username: "bob", Groups: []string{"ds-marketing"}}
	open := func(id abac.Identity, notebook string) {
		t.Helper()
		if _, err := r.b.Open(context.Background(), id, broker.OpenRequest{Notebook: notebook, RequestMeta: meta}); err != nil {
			t.Fatalf("%s opens %s: %v", id.Username, notebook, err)
		}
	}
	notebooks := r.emu.Calls("ListTags") // none yet
	open(alice, "fraud-alice")
	notebooks = r.emu.Calls("ListTags") - notebooks
	if notebooks < 6 {
		t.Fatalf("the first listing read the tags of %d notebooks; the dev account has at least 6", notebooks)
	}
	advance(10 * time.Second)
	open(bob, "marketing-bob")
	if n := r.emu.Calls("ListTags"); n != notebooks {
		t.Errorf("ListTags called %d times for two teams' listings 10 s apart, want %d (one per notebook)", n, notebooks)
	}
	if n := r.emu.Calls("ListNotebookInstances"); n != 2 {
		t.Errorf("ListNotebookInstances called %d times, want once per team role", n)
	}
	if s := r.b.CacheStats(); s.TagsShared != int64(notebooks) || s.TagReads != int64(notebooks) || s.Listings != 2 || s.ListWaits != 2 {
		t.Errorf("cache stats = %+v", s)
	}

	// Marketing's list holds tags read 31 s ago: past the TTL, so bob's
	// next open waits for a new listing instead of being served from it.
	advance(21 * time.Second)
	open(bob, "marketing-bob")
	if n := r.emu.Calls("ListNotebookInstances"); n != 3 {
		t.Errorf("ListNotebookInstances called %d times: a list with tags older than the TTL was served", n)
	}
	// Tags older than half the TTL are read again, not shared.
	if n := r.emu.Calls("ListTags"); n != 2*notebooks {
		t.Errorf("ListTags called %d times after the TTL, want %d", n, 2*notebooks)
	}
}

// Close stops a background listing under way and waits for it; the
// broker still opens afterwards.
func TestCloseStopsBackgroundListings(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: now, DiscoveryTTL: 30 * time.Second})
	if _, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
		t.Fatal(err)
	}
	r.emu.InjectFault("ListNotebookInstances", awsemu.Fault{Delay: time.Hour}) // the background listing hangs until it is stopped
	mu.Lock()
	clock = clock.Add(28 * time.Second) // within the lead: this open starts a background listing
	mu.Unlock()
	if _, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); r.emu.Calls("ListNotebookInstances") < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no background listing started: this test would prove nothing")
		}
	}
	done := make(chan struct{})
	go func() { r.b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the background listing")
	}
}

// A background listing takes one of the broker's AWS slots like an open:
// with one slot, an open waits behind it (and is told the broker is busy)
// rather than the broker talking to AWS twice at once.
func TestBackgroundListingTakesAnAWSSlot(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: now, DiscoveryTTL: 30 * time.Second, MaxConcurrentAWS: 1, QueueTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { r.b.Close() })
	open := func() error {
		_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
		return err
	}
	if err := open(); err != nil {
		t.Fatal(err)
	}
	r.emu.InjectFault("ListNotebookInstances", awsemu.Fault{Delay: time.Hour})
	mu.Lock()
	clock = clock.Add(28 * time.Second)
	mu.Unlock()
	if err := open(); err != nil { // served from the list; starts the background listing
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); r.emu.Calls("ListNotebookInstances") < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no background listing started")
		}
	}
	if err := open(); api.As(err).Code != api.CodeBrokerBusy {
		t.Fatalf("open while the background listing holds the only AWS slot: %v, want broker_busy", err)
	}
}

// Concurrent first opens of one user (two tabs) make one AssumeRole.
func TestConcurrentFirstOpensShareOneSession(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	openConcurrently(t, r.b, alice, "fraud-alice", 8)
	if n := r.emu.Calls("AssumeRole"); n != 1 {
		t.Errorf("8 concurrent first opens of one user made %d AssumeRole calls, want 1", n)
	}
	if s := r.b.CacheStats(); s.SessionMisses+s.SessionHits != 8 || s.SessionMisses == 0 || s.Sessions != 1 {
		t.Errorf("cache stats = %+v", s)
	}
}
