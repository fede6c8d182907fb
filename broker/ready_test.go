package broker

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/secds/secds/abac"
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

// Asking SageMaker about a notebook that the cached list calls running
// corrects that notebook's status in the list, and only its: the notebook
// in the list, not the rest of the list, and a new catalog, not the one an
// open may be reading.
func TestStateCorrectsOnlyThatNotebook(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/fraud"
	now := time.Unix(1_800_000_000, 0)
	sm := &stoppedSageMaker{}
	d := newDiscovery(sm, time.Minute, time.Minute, func() time.Time { return now }, make(chan struct{}, 4))
	listed := newCatalog([]Notebook{{Name: "fraud-alice", Status: "InService"}, {Name: "fraud-dave", Status: "InService"}})
	d.entries[role] = &discoveryEntry{cat: listed, listed: now}
	b := &Broker{sm: sm, disc: d, now: d.now}
	nb := Notebook{Team: "fraud", Name: "fraud-alice", Status: "InService"}

	st, err := b.state(context.Background(), nb, teamSession{grant: abac.Grant{RoleARN: role}})
	if err != nil || st.Status != "Stopped" || sm.describes != 1 {
		t.Fatalf("state = %+v, %v after %d calls", st, err, sm.describes)
	}
	if e := api.As(startRefused(nil, nb, st.Status)); e == nil || e.Code != "notebook_stopped" {
		t.Fatalf("startRefused(Stopped) = %v, want notebook_stopped", e)
	}
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
