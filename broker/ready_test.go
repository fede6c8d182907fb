package broker

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/secds/secds/internal/api"
)

// stoppedSageMaker describes every notebook as stopped; the other calls are
// not made in these tests.
type stoppedSageMaker struct {
	SageMakerAPI
	describes int
}

func (s *stoppedSageMaker) DescribeNotebookInstance(context.Context, *sagemaker.DescribeNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	s.describes++
	return &sagemaker.DescribeNotebookInstanceOutput{NotebookInstanceStatus: types.NotebookInstanceStatusStopped}, nil
}

// The readiness check reads: asking SageMaker about a notebook, and
// judging its status, leave the team's cached list alone. Only the explicit
// observed, which Open calls after such an answer, corrects it: the
// notebook's status, not the rest of the list.
func TestReadinessCheckLeavesTheCacheAlone(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/fraud"
	now := time.Unix(1_800_000_000, 0)
	sm := &stoppedSageMaker{}
	d := newDiscovery(sm, time.Minute, time.Minute, func() time.Time { return now }, make(chan struct{}, 4))
	listed := newCatalog([]Notebook{{Name: "fraud-alice", Status: "InService"}, {Name: "fraud-dave", Status: "InService"}})
	d.entries[role] = &discoveryEntry{cat: listed, listed: now}
	b := &Broker{sm: sm, disc: d, now: d.now}
	nb := Notebook{Team: "fraud", Name: "fraud-alice", Status: "InService"}

	status, err := b.describe(context.Background(), nb, teamSession{})
	if err != nil || status != "Stopped" || sm.describes != 1 {
		t.Fatalf("describe = %q, %v after %d calls", status, err, sm.describes)
	}
	if e := api.As(ready(nil, nb.Name, status)); e == nil || e.Code != "notebook_stopped" {
		t.Fatalf("ready(Stopped) = %v, want notebook_stopped", e)
	}
	if err := ready(nil, nb.Name, "InService"); err != nil {
		t.Fatalf("ready(InService) = %v", err)
	}
	if e := d.entries[role]; e == nil || e.cat != listed {
		t.Fatal("the readiness check changed the discovery cache")
	}

	d.observed(role, nb.Name, status)
	c := d.entries[role].cat
	if got, _ := c.named("fraud-alice"); got.Status != "Stopped" {
		t.Fatalf("after observed, the list says %s is %s, want Stopped", got.Name, got.Status)
	}
	if got, _ := c.named("fraud-dave"); got.Status != "InService" {
		t.Fatalf("observed changed another notebook: %+v", got)
	}
	if got, _ := listed.named("fraud-alice"); got.Status != "InService" {
		t.Fatal("observed changed the catalog in place; an open reading it may be running")
	}
}
