package broker_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/dev/awsemu"
)

// withRetries gives the SDK its standard retryer with short back-offs, as the
// broker runs in production, so a test sees what survives the retries.
func withRetries(c *aws.Config) {
	c.RetryMaxAttempts = 0
	c.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 20 * time.Millisecond
		})
	}
}

func TestAWSFaults(t *testing.T) {
	tests := []struct {
		name     string
		op       string
		fault    awsemu.Fault
		limits   broker.Config
		notebook string
		code     api.Code
		kind     api.Kind
		calls    int // how many times the faulty operation was called, 0 to skip
	}{
		{"SageMaker throttles past the SDK's retries", "ListNotebookInstances", awsemu.Fault{Code: "ThrottlingException"}, broker.Config{},
			"fraud-alice", "aws_throttled", api.KindUnavailable, 3},
		{"STS throttles past the SDK's retries", "AssumeRole", awsemu.Fault{Code: "Throttling"}, broker.Config{},
			"fraud-alice", "aws_throttled", api.KindUnavailable, 3},
		{"AWS hangs beyond the broker's time-out", "AssumeRole", awsemu.Fault{Delay: 3 * time.Second}, broker.Config{AWSTimeout: 200 * time.Millisecond},
			"fraud-alice", "aws_timeout", api.KindUnavailable, 0},
		{"the team role may not presign", "CreatePresignedNotebookInstanceUrl", awsemu.Fault{Code: "AccessDeniedException"}, broker.Config{},
			"fraud-alice", "aws_denied", api.KindForbidden, 1},
		{"AWS internal error", "CreatePresignedNotebookInstanceUrl", awsemu.Fault{Code: "InternalFailure", Status: 500}, broker.Config{},
			"fraud-alice", "aws_error", api.KindUnavailable, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRigWith(t, configs.DevTeams, withRetries, tc.limits)
			r.emu.InjectFault(tc.op, tc.fault)
			_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: tc.notebook, RequestMeta: meta})
			e := api.As(err)
			if e.Code != tc.code || e.Kind != tc.kind {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
			if e.Kind == api.KindUnavailable && e.RetryAfter == 0 {
				t.Error("an unavailable error needs a Retry-After")
			}
			if strings.Contains(e.Message, "Injected") || strings.Contains(e.Message, "operation error") {
				t.Errorf("the user message carries AWS internals: %q", e.Message)
			}
			if tc.calls > 0 {
				if n := r.emu.Calls(tc.op); n != tc.calls {
					t.Errorf("%s called %d times, want %d", tc.op, n, tc.calls)
				}
			}
			if ev := r.audit.last(); ev.Code != string(tc.code) || ev.Decision == audit.Granted {
				t.Errorf("audit = %+v", ev)
			}
		})
	}
}

func TestThrottlingThatClearsWithinRetriesSucceeds(t *testing.T) {
	r := newRigWith(t, configs.DevTeams, withRetries, broker.Config{})
	r.emu.InjectFault("ListNotebookInstances", awsemu.Fault{Code: "ThrottlingException", Times: 2})
	if _, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
		t.Fatalf("the SDK should have retried past two throttles: %v", err)
	}
}

func TestDeletedNotebook(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	if err := r.emu.SetNotebookStatus("fraud-alice", "Deleting"); err != nil {
		t.Fatal(err)
	}
	_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	if e := api.As(err); e.Code != "notebook_unavailable" || !strings.Contains(e.Message, "Deleting") {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentAWSWorkIsBounded(t *testing.T) {
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{MaxConcurrentAWS: 1, QueueTimeout: 100 * time.Millisecond})
	r.emu.InjectFault("AssumeRole", awsemu.Fault{Delay: time.Second, Times: 1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	}()
	for r.emu.Calls("AssumeRole") == 0 { // the first open holds the only slot
		time.Sleep(5 * time.Millisecond)
	}
	_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	wg.Wait()
	if e := api.As(err); e.Code != "broker_busy" || e.Kind != api.KindUnavailable {
		t.Fatalf("err = %v, want broker_busy", err)
	}
}
