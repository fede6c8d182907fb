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
// forget, which Open calls after such an answer, drops it.
func TestReadinessCheckLeavesTheCacheAlone(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/fraud"
	now := time.Unix(1_800_000_000, 0)
	sm := &stoppedSageMaker{}
	d := &discovery{sm: sm, ttl: time.Minute, now: func() time.Time { return now },
		entries: map[string]discoveryEntry{role: {notebooks: []Notebook{{Name: "fraud-alice", Status: "InService"}}, expires: now.Add(time.Minute)}}}
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
	if _, ok := d.entries[role]; !ok {
		t.Fatal("the readiness check emptied the discovery cache")
	}

	d.forget(role)
	if _, ok := d.entries[role]; ok {
		t.Fatal("forget kept the role's cached list")
	}
}
