package broker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// listingSageMaker lists one notebook, or fails while fail is set; each
// listing calls slow, if set, as it begins.
type listingSageMaker struct {
	SageMakerAPI
	mu    sync.Mutex
	lists int
	fail  bool
	slow  func()
}

func (s *listingSageMaker) ListNotebookInstances(context.Context, *sagemaker.ListNotebookInstancesInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	if s.slow != nil {
		s.slow()
	}
	if s.fail {
		return nil, errors.New("throttled")
	}
	return &sagemaker.ListNotebookInstancesOutput{NotebookInstances: []types.NotebookInstanceSummary{{
		NotebookInstanceName: aws.String("fraud-alice"), NotebookInstanceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/fraud-alice"),
		NotebookInstanceStatus: types.NotebookInstanceStatusInService}}}, nil
}

func (s *listingSageMaker) ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	return &sagemaker.ListTagsOutput{Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("fraud")}}}, nil
}

func (s *listingSageMaker) calls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.lists }

// settle waits until no background listing of role is under way.
func settle(t *testing.T, d *discovery, role string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.mu.Lock()
		busy := d.entries[role] != nil && d.entries[role].refreshing
		d.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the background listing never ended")
		}
		time.Sleep(time.Millisecond)
	}
}

// A background listing that fails leaves the old list in use until its TTL
// ends, and is not tried again at every open: the next try waits a quarter
// of the lead (here 8 s, a tenth of the TTL, as the listing took no time on
// this clock). Past the TTL the open waits for a listing and sees its error.
func TestFailedRefreshBacksOffAndNeverOutlivesTheTTL(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/fraud"
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	sm := &listingSageMaker{}
	d := newDiscovery(sm, 80*time.Second, time.Minute, clock, make(chan struct{}, 4))
	ctx := context.Background()
	get := func() error {
		t.Helper()
		_, err := d.catalog(ctx, role, aws.Credentials{})
		return err
	}
	if err := get(); err != nil || sm.calls() != 1 {
		t.Fatalf("first listing: %v after %d calls", err, sm.calls())
	}
	sm.mu.Lock()
	sm.fail = true
	sm.mu.Unlock()

	advance(72 * time.Second) // the lead before the TTL ends
	if err := get(); err != nil {
		t.Fatalf("served from the old list: %v", err)
	}
	settle(t, d, role)
	if sm.calls() != 2 {
		t.Fatalf("%d listings, want a background one", sm.calls())
	}
	advance(time.Second)
	if err := get(); err != nil {
		t.Fatal(err)
	}
	settle(t, d, role)
	if sm.calls() != 2 {
		t.Fatalf("%d listings: a failed background listing was retried within a quarter of the lead", sm.calls())
	}
	advance(time.Second) // 2 s after the failure
	if err := get(); err != nil {
		t.Fatal(err)
	}
	settle(t, d, role)
	if sm.calls() != 3 {
		t.Fatalf("%d listings, want a second background try", sm.calls())
	}
	advance(6 * time.Second) // the TTL is over
	if err := get(); err == nil {
		t.Fatal("a list older than the TTL was served")
	}
}

// A status SageMaker reported that the list did not know makes the next
// open relist in the background, since other notebooks may have changed
// too; a status the list already had does not.
func TestObservedStatusSchedulesARefresh(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/fraud"
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sm := &listingSageMaker{}
	d := newDiscovery(sm, 80*time.Second, time.Minute, clock, make(chan struct{}, 4))
	ctx := context.Background()
	if _, err := d.catalog(ctx, role, aws.Credentials{}); err != nil {
		t.Fatal(err)
	}
	d.observed(role, "fraud-alice", "InService") // what the list says
	if _, err := d.catalog(ctx, role, aws.Credentials{}); err != nil {
		t.Fatal(err)
	}
	settle(t, d, role)
	if sm.calls() != 1 {
		t.Fatalf("%d listings after a status the list knew", sm.calls())
	}
	d.observed(role, "fraud-alice", "Stopped")
	c, err := d.catalog(ctx, role, aws.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if nb, _ := c.named("fraud-alice"); nb.Status != "Stopped" {
		t.Fatalf("served %s as %s, want the observed Stopped", nb.Name, nb.Status)
	}
	settle(t, d, role)
	if sm.calls() != 2 {
		t.Fatalf("%d listings, want a background one after a new status", sm.calls())
	}
}

// A listing that takes long starts its successor earlier: four times its
// duration before the TTL ends, so the new list is in before the old one
// expires and no open waits.
func TestRefreshStartsAheadOfASlowListing(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/fraud"
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	sm := &listingSageMaker{slow: func() { advance(5 * time.Second) }}
	d := newDiscovery(sm, 80*time.Second, time.Minute, clock, make(chan struct{}, 4))
	ctx := context.Background()
	if _, err := d.catalog(ctx, role, aws.Credentials{}); err != nil {
		t.Fatal(err)
	}
	// Listed at 0, took 5 s: the lead is 20 s, so the relisting starts at 60 s.
	advance(54 * time.Second) // 59 s after the listing began
	if _, err := d.catalog(ctx, role, aws.Credentials{}); err != nil {
		t.Fatal(err)
	}
	settle(t, d, role)
	if sm.calls() != 1 {
		t.Fatalf("%d listings before the lead", sm.calls())
	}
	advance(time.Second)
	if _, err := d.catalog(ctx, role, aws.Credentials{}); err != nil {
		t.Fatal(err)
	}
	settle(t, d, role)
	if sm.calls() != 2 {
		t.Fatalf("%d listings, want a background one four listing times before the TTL ends", sm.calls())
	}
}
