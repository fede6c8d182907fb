package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/dynamostore"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/mapstore/conformance"
	"github.com/secds/secds/internal/testutil/moto"
)

const validMapping = `version: 1
admin_groups: [secds-admins]
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud
    notebooks:
      tags:
        owner: "{{.Username}}"
`

func openMapping(t testing.TB, c dynamostore.API, table string, keys [][]byte) *dynamostore.Mapping {
	t.Helper()
	m, err := dynamostore.NewMapping(c, dynamostore.MappingOptions{Table: table, Keys: keys, PollInterval: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAnotherReplicaSeesTheWrite: a store that did not make the write (a
// second replica) delivers it from its poll of the head item.
func TestAnotherReplicaSeesTheWrite(t *testing.T) {
	srv := moto.Start(t)
	table := srv.NewTable(t)
	a := newMapping(t, srv, table, []byte(validMapping))
	b := openMapping(t, srv.DynamoDB(), table, testKeys)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := b.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := a.Get(ctx)
	r, err := a.Put(ctx, []byte(validMapping+"# two\n"), cur.Version, mapstore.Change{Author: "admin", Reason: "edit"})
	if err != nil {
		t.Fatal(err)
	}
	got := conformance.WaitFor(t, ch, r.Version)
	if string(got.Content) != validMapping+"# two\n" || got.Author != "admin" {
		t.Errorf("B got %+v %q", got.Entry, got.Content)
	}
}

// TestUnauthenticatedVersionsAreNotServed: items written without the
// broker's keys are listed, marked, refused by At and never served by Live.
func TestUnauthenticatedVersionsAreNotServed(t *testing.T) {
	ctx := context.Background()
	srv := moto.Start(t)
	db := srv.DynamoDB()
	otherKeys := [][]byte{[]byte("another-broker-key-of-32-bytes!!")}
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, table string, cur mapstore.Version) mapstore.Version
		why   string
	}{
		{"signed with a key the broker does not have", func(t *testing.T, table string, cur mapstore.Version) mapstore.Version {
			r, err := openMapping(t, db, table, otherKeys).Put(ctx, []byte(validMapping+"# forged\n"), cur, mapstore.Change{Author: "mallory"})
			if err != nil {
				t.Fatal(err)
			}
			return r.Version
		}, "MAC does not verify"},
		{"no MAC", func(t *testing.T, table string, cur mapstore.Version) mapstore.Version {
			r, err := openMapping(t, db, table, otherKeys).Put(ctx, []byte(validMapping+"# forged\n"), cur, mapstore.Change{Author: "mallory"})
			if err != nil {
				t.Fatal(err)
			}
			update(t, db, table, r.Number, "REMOVE mac", nil)
			return r.Version
		}, "no MAC"},
		{"content changed after signing", func(t *testing.T, table string, cur mapstore.Version) mapstore.Version {
			r, err := openMapping(t, db, table, testKeys).Put(ctx, []byte(validMapping+"# genuine\n"), cur, mapstore.Change{Author: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			update(t, db, table, r.Number, "SET content = :c", map[string]types.AttributeValue{":c": &types.AttributeValueMemberB{Value: []byte(validMapping + "# genuine, then changed\n")}})
			return r.Version
		}, "does not match its digest"},
		{"author changed after signing", func(t *testing.T, table string, cur mapstore.Version) mapstore.Version {
			r, err := openMapping(t, db, table, testKeys).Put(ctx, []byte(validMapping+"# genuine\n"), cur, mapstore.Change{Author: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			update(t, db, table, r.Number, "SET author = :a", map[string]types.AttributeValue{":a": &types.AttributeValueMemberS{Value: "someone-else"}})
			return r.Version
		}, "MAC does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := srv.NewTable(t)
			store := newMapping(t, srv, table, []byte(validMapping))
			liveCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			live, err := mapstore.NewLive(liveCtx, store, mapstore.LiveOptions{Name: "teams.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			seed, _ := store.Get(ctx)
			bad := tc.write(t, table, seed.Version)

			r, err := store.Get(ctx)
			if err != nil || r.Unverified == "" || !strings.Contains(r.Unverified, tc.why) || r.Content != nil {
				t.Errorf("Get = %+v, content %q, %v; want unverified (%s) without content", r.Entry, r.Content, err, tc.why)
			}
			if _, err := store.At(ctx, bad.Number); !errors.Is(err, mapstore.ErrUnverified) {
				t.Errorf("At(%d) = %v, want ErrUnverified", bad.Number, err)
			}
			hist, err := store.History(ctx)
			if err != nil || len(hist) != 2 || hist[0].Unverified == "" || hist[1].Unverified != "" {
				t.Errorf("History = %+v, %v; want the bad version marked, the seed not", hist, err)
			}
			deadline := time.Now().Add(3 * time.Second)
			for live.State().Latest.Number != bad.Number && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			st := live.State()
			if st.Latest.Number != bad.Number || st.Valid() || st.Serving.Number != seed.Number {
				t.Fatalf("live state: latest %d valid %v serving %d; want %d seen, refused, %d served", st.Latest.Number, st.Valid(), st.Serving.Number, bad.Number, seed.Number)
			}
			// A broker started now serves the last authenticated version.
			restarted, err := mapstore.NewLive(liveCtx, openMapping(t, db, table, testKeys), mapstore.LiveOptions{Name: "teams.yaml"})
			if err != nil || restarted.State().Serving.Number != seed.Number {
				t.Fatalf("a broker started on the table: %v, serving %+v", err, restarted.State().Serving)
			}
		})
	}
}

func update(t *testing.T, db *dynamodb.Client, table string, number int64, expr string, values map[string]types.AttributeValue) {
	t.Helper()
	_, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(table), UpdateExpression: aws.String(expr), ExpressionAttributeValues: values,
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "mapping"}, "sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("v#%019d", number)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSessionKeyRotation: versions signed with the old key stay trusted
// once a new key is put first, and are signed again with it, so they stay
// trusted after the old key is dropped.
func TestSessionKeyRotation(t *testing.T) {
	ctx := context.Background()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	oldKey, newKey := []byte("old-session-key-0123456789abcdef"), []byte("new-session-key-0123456789abcdef")
	a := openMapping(t, srv.DynamoDB(), table, [][]byte{oldKey})
	if _, err := a.Seed(ctx, []byte(validMapping), mapstore.Change{Author: "seed"}); err != nil {
		t.Fatal(err)
	}
	cur, _ := a.Get(ctx)
	if _, err := a.Put(ctx, []byte(validMapping+"# 2\n"), cur.Version, mapstore.Change{Author: "admin"}); err != nil {
		t.Fatal(err)
	}
	rotated := openMapping(t, srv.DynamoDB(), table, [][]byte{newKey, oldKey})
	if hist, err := rotated.History(ctx); err != nil || hist[0].Unverified != "" || hist[1].Unverified != "" {
		t.Fatalf("with both keys: %+v %v", hist, err)
	}
	onlyNew := openMapping(t, srv.DynamoDB(), table, [][]byte{newKey})
	hist, err := onlyNew.History(ctx)
	if err != nil || hist[0].Unverified != "" || hist[1].Unverified != "" {
		t.Fatalf("after the old key is dropped: %+v %v; want both versions re-signed", hist, err)
	}
	if r, err := onlyNew.Get(ctx); err != nil || r.Unverified != "" {
		t.Fatalf("Get after rotation = %+v %v", r.Entry, err)
	}
}

// TestThrottlingKeepsTheLastMapping: while DynamoDB throttles, the broker
// serves the mapping it has, polls less often, reports itself degraded, and
// picks up the new version once the table answers again.
func TestThrottlingKeepsTheLastMapping(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	writer := newMapping(t, srv, table, []byte(validMapping))
	proxy := srv.NewFaultProxy(t)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	reg := prometheus.NewRegistry()
	reader, err := dynamostore.NewMapping(proxy.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }), dynamostore.MappingOptions{
		Table: table, Keys: testKeys, PollInterval: 20 * time.Millisecond, MaxBackoff: 320 * time.Millisecond, Now: now, Metrics: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	live, err := mapstore.NewLive(ctx, reader, mapstore.LiveOptions{Name: "teams.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	seed := live.State().Serving

	proxy.Set("*", moto.Throttle)
	before := proxy.Calls()["GetItem"]
	cur, _ := writer.Get(ctx)
	next, err := writer.Put(ctx, []byte(validMapping+"# while throttled\n"), cur.Version, mapstore.Change{Author: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	throttled := proxy.Calls()["GetItem"] - before
	// Polling every 20 ms would make 50 reads in the second; backing off
	// to 320 ms makes at most about 8.
	if throttled > 12 || throttled < 2 {
		t.Errorf("%d head reads in a throttled second; want a few (backoff), not one per poll interval", throttled)
	}
	if n := throttledPolls(t, reg); n < 2 {
		t.Errorf("secds_mapping_store_poll_errors_total{kind=throttled} = %v, want the throttled polls counted", n)
	}
	if s := live.State(); s.Serving != seed || live.Mapping() == nil {
		t.Errorf("serving %+v while throttled, want the seed kept", s.Serving)
	}
	if err := reader.Ready(ctx); err != nil {
		t.Errorf("Ready within the grace period = %v", err)
	}
	clock.Add(int64(time.Minute))
	var d interface{ Degraded() bool }
	if err := reader.Ready(ctx); !errors.As(err, &d) || !d.Degraded() || !dynamostore.Throttled(errors.Unwrap(err)) {
		t.Errorf("Ready a minute into the throttling = %v, want a degraded throttling error", err)
	}

	proxy.Set("*", moto.Pass)
	deadline := time.Now().Add(3 * time.Second)
	for live.State().Serving.Number != next.Number && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := live.State(); s.Serving.Number != next.Number {
		t.Fatalf("after the throttling serving %d, want %d", s.Serving.Number, next.Number)
	}
	if err := reader.Ready(ctx); err != nil {
		t.Errorf("Ready after the throttling = %v", err)
	}
}

// TestFailedWritesLeaveNothing: a transaction DynamoDB refuses writes
// nothing; a head moved back outside the broker hides the versions above it
// and stops edits rather than overwrite them; a write whose answer is lost
// is not mistaken for a conflict.
func TestFailedWritesLeaveNothing(t *testing.T) {
	ctx := context.Background()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	seedStore := newMapping(t, srv, table, []byte(validMapping))
	proxy := srv.NewFaultProxy(t)
	store := openMapping(t, proxy.DynamoDB(), table, testKeys)
	curRev, _ := store.Get(ctx)
	cur := curRev.Version
	hist0, _ := store.History(ctx)

	t.Run("failed transaction", func(t *testing.T) {
		proxy.Set("TransactWriteItems", moto.Fail)
		defer proxy.Set("TransactWriteItems", moto.Pass)
		_, err := store.Put(ctx, []byte(validMapping+"# lost\n"), cur, mapstore.Change{Author: "admin"})
		if err == nil || errors.Is(err, mapstore.ErrConflict) || !strings.Contains(err.Error(), "whether it was written is not known; get the mapping and look") {
			t.Fatalf("Put = %v, want a failure that says the outcome is not known (a 500 may follow a commit)", err)
		}
		if got, _ := seedStore.Get(ctx); got.Version != cur {
			t.Errorf("head moved to %v", got.Version)
		}
		if hist, _ := seedStore.History(ctx); len(hist) != len(hist0) {
			t.Errorf("history grew to %d entries", len(hist))
		}
	})
	t.Run("head moved back outside the broker", func(t *testing.T) {
		ahead, err := openMapping(t, srv.DynamoDB(), table, testKeys).Put(ctx, []byte(validMapping+"# ahead\n"), cur, mapstore.Change{Author: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		// Someone with write access points the head back at the version
		// before: the genuine newer version stays above it.
		_, err = srv.DynamoDB().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "mapping"}, "sk": &types.AttributeValueMemberS{Value: "head"},
			"number": &types.AttributeValueMemberN{Value: fmt.Sprint(cur.Number)}, "digest": &types.AttributeValueMemberS{Value: cur.Digest},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if hist, _ := store.History(ctx); len(hist) != len(hist0) {
			t.Errorf("history lists %d entries, want what the head says", len(hist))
		}
		if _, err := store.At(ctx, ahead.Number); !errors.Is(err, mapstore.ErrNotFound) {
			t.Errorf("At(above the head) = %v, want ErrNotFound", err)
		}
		if err := store.CheckHead(ctx); err == nil || !strings.Contains(err.Error(), "above its head") {
			t.Errorf("CheckHead = %v, want the moved head named (a broker does not start on it)", err)
		}
		_, err = store.Put(ctx, []byte(validMapping+"# over it\n"), cur, mapstore.Change{Author: "admin"})
		if err == nil || errors.Is(err, mapstore.ErrConflict) || !strings.Contains(err.Error(), "moved the head back outside the broker") {
			t.Fatalf("Put over a version above the head = %v, want a refusal that names the moved head", err)
		}
		// Nothing was overwritten: put the head back where it was.
		_, err = srv.DynamoDB().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "mapping"}, "sk": &types.AttributeValueMemberS{Value: "head"},
			"number": &types.AttributeValueMemberN{Value: fmt.Sprint(ahead.Number)}, "digest": &types.AttributeValueMemberS{Value: ahead.Digest},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CheckHead(ctx); err != nil {
			t.Errorf("CheckHead on a sound table = %v", err)
		}
		if got, err := store.Get(ctx); err != nil || got.Unverified != "" || string(got.Content) != validMapping+"# ahead\n" {
			t.Errorf("the version above the head was changed: %q %v %s", got.Content, err, got.Unverified)
		}
		cur = ahead.Version
	})
	t.Run("lost answer", func(t *testing.T) {
		// The first attempt reaches the table and its answer is lost; the
		// SDK's retry gets through.
		proxy.Set("TransactWriteItems", moto.DropOnce)
		before := proxy.Calls()["TransactWriteItems"]
		r, err := store.Put(ctx, []byte(validMapping+"# retried\n"), cur, mapstore.Change{Author: "admin"})
		if n := proxy.Calls()["TransactWriteItems"] - before; n != 2 {
			t.Errorf("%d attempts, want the dropped one and a retry", n)
		}
		if err != nil {
			t.Fatalf("Put with a lost answer = %v; the retry of our own write is not a conflict", err)
		}
		if got, _ := seedStore.Get(ctx); got.Version != r.Version {
			t.Errorf("head %v, want %v", got.Version, r.Version)
		}
	})
}

// TestCodesAreSpentOnceAcrossReplicas: of many replicas spending one code
// at once, exactly one succeeds.
func TestCodesAreSpentOnceAcrossReplicas(t *testing.T) {
	srv := moto.Start(t)
	table := srv.NewTable(t)
	until := time.Now().Add(time.Minute)
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		c, err := dynamostore.NewCodes(srv.DynamoDB(), table)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			ok, err := c.Spend(context.Background(), "code-1", until)
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d replicas spent the code, want exactly 1", fresh.Load())
	}
	c, _ := dynamostore.NewCodes(srv.DynamoDB(), table)
	if ok, err := c.Spend(context.Background(), "code-2", until); !ok || err != nil {
		t.Errorf("another code = %v %v", ok, err)
	}
	proxy := srv.NewFaultProxy(t)
	proxy.Set("*", moto.Fail)
	down, _ := dynamostore.NewCodes(proxy.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }), table)
	if ok, err := down.Spend(context.Background(), "code-3", until); ok || err == nil {
		t.Errorf("with the table down = %v %v, want an error and not fresh", ok, err)
	}
}

// TestRevocationsHoldOnEveryReplica: a revocation made through one store is
// seen by another within its poll interval, only ever moves later, and a
// replica that cannot read the table refuses rather than guesses.
func TestRevocationsHoldOnEveryReplica(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	proxy := srv.NewFaultProxy(t)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	open := func(c dynamostore.API) *dynamostore.Revocations {
		r, err := dynamostore.NewRevocations(ctx, c, dynamostore.RevocationOptions{Table: table, PollInterval: 20 * time.Millisecond, MaxStale: 5 * time.Second, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := open(srv.DynamoDB()), open(proxy.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }))
	t1 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if err := a.Revoke(ctx, "user:alice", t1); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Cutoff(ctx, "user:alice"); !c.Equal(t1) {
		t.Errorf("A at once: %v", c)
	}
	waitCutoff(t, b, "user:alice", t1)
	if err := b.Revoke(ctx, "user:alice", t1.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.Cutoff(ctx, "user:alice"); !c.Equal(t1) {
		t.Errorf("an earlier cutoff replaced a later one: %v", c)
	}
	if c, _ := b.Cutoff(ctx, "user:bob"); !c.IsZero() {
		t.Errorf("bob = %v", c)
	}
	proxy.Set("*", moto.Fail)
	if _, err := b.Cutoff(ctx, "user:alice"); err != nil {
		t.Errorf("a failing table within MaxStale: %v", err)
	}
	clock.Add(int64(time.Minute))
	if _, err := b.Cutoff(ctx, "user:alice"); err == nil {
		t.Error("Cutoff answered from a copy a minute old while the table fails")
	}
	proxy.Set("*", moto.Pass)
	if c, err := b.Cutoff(ctx, "user:alice"); err != nil || !c.Equal(t1) {
		t.Errorf("once the table answers: %v %v", c, err)
	}
}

func waitCutoff(t *testing.T, r *dynamostore.Revocations, key string, want time.Time) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, err := r.Cutoff(context.Background(), key)
		if err == nil && c.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cutoff of %s = %v %v, want %v", key, c, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestActionsAreWhatTheStoresCall: the IAM actions `secds admin iam`
// grants the broker on its table are exactly those the stores call. A
// transaction is authorized as the item actions in it (here PutItem).
func TestActionsAreWhatTheStoresCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	proxy := srv.NewFaultProxy(t)
	c := proxy.DynamoDB()
	if err := dynamostore.CheckTable(ctx, c, table); err != nil {
		t.Fatal(err)
	}
	old := openMapping(t, c, table, [][]byte{[]byte("old-session-key-0123456789abcdef")})
	if _, err := old.Seed(ctx, []byte(validMapping), mapstore.Change{}); err != nil {
		t.Fatal(err)
	}
	m := openMapping(t, c, table, append(testKeys, []byte("old-session-key-0123456789abcdef")))
	live, err := mapstore.NewLive(ctx, m, mapstore.LiveOptions{Name: "teams.yaml"}) // Watch, Get, History (re-signing)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Update(ctx, mapstore.Update{Content: []byte(validMapping + "# 2\n"), Expected: live.State().Serving.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.At(ctx, 1); err != nil {
		t.Fatal(err)
	}
	codes, _ := dynamostore.NewCodes(c, table)
	if _, err := codes.Spend(ctx, "x", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	pending, _ := dynamostore.NewPendingCodes(c, table, nil)
	if _, err := pending.Put(ctx, "BCDFGHJK", "sealed", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pending.Take(ctx, "BCDFGHJK"); err != nil {
		t.Fatal(err)
	}
	revs, err := dynamostore.NewRevocations(ctx, c, dynamostore.RevocationOptions{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	if err := revs.Revoke(ctx, "user:x", time.Now()); err != nil {
		t.Fatal(err)
	}
	var used []string
	for op := range proxy.Calls() {
		if op == "TransactWriteItems" {
			op = "PutItem" // its items are Puts
		}
		used = append(used, "dynamodb:"+op)
	}
	slices.Sort(used)
	used = slices.Compact(used)
	want := slices.Sorted(slices.Values(iampolicy.DynamoDBActions))
	if !slices.Equal(used, want) {
		t.Errorf("the stores call %v; iampolicy.DynamoDBActions grants %v", used, want)
	}
}

func throttledPolls(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "secds_mapping_store_poll_errors_total" {
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == "throttled" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatal("no secds_mapping_store_poll_errors_total{kind=throttled}")
	return 0
}

// TestUserCodesAcrossReplicas: a user code kept by one replica is taken by
// exactly one of many replicas at once, and not after it expires.
func TestUserCodesAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	open := func() *dynamostore.PendingCodes {
		p, err := dynamostore.NewPendingCodes(srv.DynamoDB(), table, now)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := open()
	if ok, err := a.Put(ctx, "BCDFGHJK", "sealed-1", now().Add(10*time.Minute)); !ok || err != nil {
		t.Fatalf("Put = %v %v", ok, err)
	}
	if ok, err := open().Put(ctx, "BCDFGHJK", "sealed-2", now().Add(10*time.Minute)); ok || err != nil {
		t.Fatalf("a second Put of a live code = %v %v, want refused", ok, err)
	}
	var got atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		p := open()
		wg.Go(func() {
			sealed, state, err := p.Take(ctx, "BCDFGHJK")
			if err != nil {
				t.Error(err)
			}
			if state == auth.CodeFresh {
				got.Add(1)
				if sealed != "sealed-1" {
					t.Errorf("took %q", sealed)
				}
			}
		})
	}
	wg.Wait()
	if got.Load() != 1 {
		t.Fatalf("%d replicas took the code, want 1", got.Load())
	}
	if _, state, _ := a.Take(ctx, "BCDFGHJK"); state != auth.CodeUsed {
		t.Errorf("taken again: state %v, want used", state)
	}
	if _, err := a.Put(ctx, "CDFGHJKL", "sealed-3", now().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(10*time.Minute + time.Second))
	if _, state, err := open().Take(ctx, "CDFGHJKL"); state != auth.CodeUnknown || err != nil {
		t.Errorf("an expired code = %v %v, want unknown", state, err)
	}
	if ok, err := a.Put(ctx, "CDFGHJKL", "sealed-4", now().Add(10*time.Minute)); !ok || err != nil {
		t.Errorf("reusing an expired code's letters = %v %v", ok, err)
	}
	if _, state, _ := open().Take(ctx, "NOSUCHCD"); state != auth.CodeUnknown {
		t.Error("an unknown code was taken")
	}
}
