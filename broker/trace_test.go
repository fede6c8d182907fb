package broker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/awsemu"
)

// TestWaitForAnAWSSlotIsASpan: in a traced request, an open that waits for
// a free AWS slot shows the wait as a span of its own under the request's;
// one that gets a slot at once has none, and one that gives up says why.
func TestWaitForAnAWSSlotIsASpan(t *testing.T) {
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{MaxConcurrentAWS: 1, QueueTimeout: 2 * time.Second})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	open := func(name string) error {
		ctx, span := tp.Tracer("test").Start(context.Background(), name)
		defer span.End()
		_, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
		return err
	}
	if err := open("first"); err != nil { // sessions and the list cached
		t.Fatal(err)
	}
	r.emu.InjectFault("CreatePresignedNotebookInstanceUrl", awsemu.Fault{Delay: 300 * time.Millisecond, Times: 1})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := open("slow"); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, func() bool { return r.emu.Calls("CreatePresignedNotebookInstanceUrl") == 2 }) // the slow open holds the one slot
	if err := open("queued"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	parents := map[string]string{} // span ID -> name
	for _, s := range rec.Ended() {
		parents[s.SpanContext().SpanID().String()] = s.Name()
	}
	var waits []string
	for _, s := range rec.Ended() {
		if s.Name() == "secds.wait_for_aws_slot" {
			waits = append(waits, parents[s.Parent().SpanID().String()])
			if d := s.EndTime().Sub(s.StartTime()); d < 100*time.Millisecond {
				t.Errorf("the wait lasted %s, want about the slow open's rest", d)
			}
		}
	}
	if len(waits) != 1 || waits[0] != "queued" {
		t.Errorf("wait spans under %v, want one, under the queued open's", waits)
	}

	// Giving up is the span's error.
	r2 := newRigWith(t, configs.DevTeams, nil, broker.Config{MaxConcurrentAWS: 1, QueueTimeout: 50 * time.Millisecond})
	r2.emu.InjectFault("AssumeRole", awsemu.Fault{Delay: 300 * time.Millisecond, Times: 1})
	rec2 := tracetest.NewSpanRecorder()
	tp2 := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec2))
	defer func() { _ = tp2.Shutdown(context.Background()) }()
	wg.Go(func() {
		_, _ = r2.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	})
	waitFor(t, func() bool { return r2.emu.Calls("AssumeRole") == 1 })
	ctx, span := tp2.Tracer("test").Start(context.Background(), "refused")
	if _, err := r2.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err == nil {
		t.Error("the queued open got a slot")
	}
	span.End()
	wg.Wait()
	for _, s := range rec2.Ended() {
		if s.Name() == "secds.wait_for_aws_slot" && (s.Status().Code != codes.Error || s.Status().Description != "broker_busy") {
			t.Errorf("a wait that gave up: status %+v, want broker_busy", s.Status())
		}
	}
	if n := len(rec2.Ended()); n != 2 {
		t.Errorf("%d spans, want the request's and its wait", n)
	}
}

// waitFor polls cond until it holds, for 10 seconds at most.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the condition did not come about in 10s")
		}
	}
}
