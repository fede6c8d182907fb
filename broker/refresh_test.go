package broker_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
)

// hookedSM passes calls to the emulator, and lets a test hold a listing,
// change what ListTags says about a notebook, and count the ListTags calls
// running at once.
type hookedSM struct {
	broker.SageMakerAPI

	mu      sync.Mutex
	owners  map[string]string // notebook name → the owner tag ListTags reports
	hold    chan struct{}     // when set, ListNotebookInstances waits for it to close
	entered chan struct{}     // told when a held listing has begun
	running int               // ListTags calls under way
	most    int               // the most ever under way at once
	barrier chan struct{}     // closed once gather ListTags calls run at once
	gather  int
}

func (h *hookedSM) ListNotebookInstances(ctx context.Context, in *sagemaker.ListNotebookInstancesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error) {
	h.mu.Lock()
	hold, entered := h.hold, h.entered
	h.mu.Unlock()
	if hold != nil && in.NextToken == nil {
		entered <- struct{}{}
		<-hold
	}
	return h.SageMakerAPI.ListNotebookInstances(ctx, in, opts...)
}

func (h *hookedSM) ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	h.mu.Lock()
	h.running++
	h.most = max(h.most, h.running)
	barrier := h.barrier
	if barrier != nil && h.running >= h.gather {
		select {
		case <-barrier:
		default:
			close(barrier)
		}
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.running--
		h.mu.Unlock()
	}()
	if barrier != nil {
		// The first calls wait until gather of them run at once, so the
		// count shows how many the broker lets run together.
		select {
		case <-barrier:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out, err := h.SageMakerAPI.ListTags(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	arn := aws.ToString(in.ResourceArn)
	name := arn[strings.LastIndex(arn, "/")+1:]
	h.mu.Lock()
	owner, ok := h.owners[name]
	h.mu.Unlock()
	if ok {
		for i, tg := range out.Tags {
			if aws.ToString(tg.Key) == "owner" {
				out.Tags[i] = types.Tag{Key: tg.Key, Value: aws.String(owner)}
			}
		}
	}
	return out, nil
}

// offered returns the names List offers id.
func offered(t *testing.T, b *broker.Broker, id abac.Identity) []string {
	t.Helper()
	ov, err := b.List(context.Background(), id, meta)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, nb := range ov.Notebooks {
		names = append(names, nb.Name)
	}
	return names
}

func has(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// A notebook given to another owner stops being offered once the list is
// refreshed, and the refresh happens in the background: the opens made
// while it runs are answered from the old list without waiting for it.
func TestRefreshInTheBackgroundServesTheOldListMeanwhile(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	var clockMu sync.Mutex
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	advance := func(d time.Duration) { clockMu.Lock(); clock = clock.Add(d); clockMu.Unlock() }
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: now, DiscoveryTTL: 40 * time.Second})
	h := &hookedSM{SageMakerAPI: r.sm, owners: map[string]string{}}
	m, _ := abac.Parse("t.yaml", configs.DevTeams)
	b := r.brokerWith(m, r.sts, h)
	ctx := context.Background()
	open := func(notebook string) error {
		_, err := b.Open(ctx, alice, broker.OpenRequest{Notebook: notebook, RequestMeta: meta})
		return err
	}

	if err := open("fraud-alice"); err != nil {
		t.Fatal(err)
	}
	// The notebook is handed to dave.
	h.mu.Lock()
	h.owners["fraud-alice"] = "dave"
	h.mu.Unlock()
	// Until the last tenth of the TTL the list is used as it is (the
	// listing took no time on this clock).
	advance(35 * time.Second)
	if !has(offered(t, b, alice), "fraud-alice") {
		t.Fatal("the cached list was dropped before its time")
	}
	if n := r.emu.Calls("ListNotebookInstances"); n != 1 {
		t.Fatalf("listed %d times within the TTL, want 1", n)
	}

	// In the last tenth of the TTL, an open starts a background listing,
	// which the fake holds; the opens meanwhile are served from the old list.
	h.mu.Lock()
	h.hold, h.entered = make(chan struct{}), make(chan struct{}, 1)
	h.mu.Unlock()
	advance(2 * time.Second)
	if err := open("fraud-alice"); err != nil {
		t.Fatalf("the open that started the refresh: %v", err)
	}
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no background listing began")
	}
	done := make(chan error, 1)
	go func() { done <- open("fraud-alice") }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("an open during the refresh: %v", err)
		}
	case <-time.After(10 * time.Second):
		// A deadlock guard, not a speed check: the listing is held until
		// this open returns, so an open that waits never returns.
		close(h.hold)
		t.Fatal("an open waited for the background listing")
	}
	if !has(offered(t, b, alice), "fraud-alice") {
		t.Fatal("the old list was not served during the refresh")
	}
	close(h.hold)

	// Once the listing is in, alice is no longer offered the notebook nor
	// may open it, and dave is offered it.
	deadline := time.Now().Add(10 * time.Second)
	for has(offered(t, b, alice), "fraud-alice") {
		if time.Now().After(deadline) {
			t.Fatal("the refreshed list never replaced the old one")
		}
		time.Sleep(time.Millisecond)
	}
	if e := api.As(open("fraud-alice")); e == nil || e.Code != api.CodeNotebookNotFound {
		t.Fatalf("alice opening the notebook handed to dave: %v", e)
	}
	dave := abac.Identity{Subject: "dev-dave", Username: "dave", Groups: []string{"ds-fraud"}}
	if got := offered(t, b, dave); !has(got, "fraud-alice") || !has(got, "fraud-dave") {
		t.Fatalf("dave is offered %v", got)
	}
	if n := r.emu.Calls("ListNotebookInstances"); n != 2 {
		t.Errorf("listed %d times, want 2 (one refresh)", n)
	}
}

// A list older than the TTL is never used: after a quiet spell the open
// waits for a fresh one, as the first open does.
func TestAListPastItsTTLIsNotServed(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: func() time.Time { return clock }, DiscoveryTTL: 40 * time.Second})
	h := &hookedSM{SageMakerAPI: r.sm, owners: map[string]string{}}
	m, _ := abac.Parse("t.yaml", configs.DevTeams)
	b := r.brokerWith(m, r.sts, h)
	if !has(offered(t, b, alice), "fraud-alice") {
		t.Fatal("fraud-alice not offered")
	}
	h.mu.Lock()
	h.owners["fraud-alice"] = "dave"
	h.mu.Unlock()
	clock = clock.Add(40 * time.Second)
	if has(offered(t, b, alice), "fraud-alice") {
		t.Fatal("a list as old as the TTL was served")
	}
}

// One listing runs at most eight ListTags calls at once.
func TestListTagsRunsBoundedInParallel(t *testing.T) {
	r := newRigOpts(t, configs.DevTeams, rigOptions{notebooks: manyNotebooks(40)})
	h := &hookedSM{SageMakerAPI: r.sm, barrier: make(chan struct{}), gather: 8}
	m, _ := abac.Parse("t.yaml", configs.DevTeams)
	b := r.brokerWith(m, r.sts, h)
	if !has(offered(t, b, alice), "fraud-alice") {
		t.Fatal("fraud-alice not offered")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.most != 8 {
		t.Errorf("at most %d ListTags calls ran at once, want 8", h.most)
	}
	if n := r.emu.Calls("ListTags"); n != 47 {
		t.Errorf("%d ListTags calls for 47 notebooks", n)
	}
}
