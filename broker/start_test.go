package broker_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/dev/awsemu"
)

// fraudStarts is the dev mapping with start_stopped for team fraud, whose
// alice has a stopped notebook (fraud-alice-scratch).
func fraudStarts(t *testing.T) []byte {
	t.Helper()
	const role = "    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud\n"
	if !bytes.Contains(configs.DevTeams, []byte(role)) {
		t.Fatal("the dev mapping no longer has team fraud's role line")
	}
	return bytes.Replace(configs.DevTeams, []byte(role), []byte(role+"    start_stopped: true\n"), 1)
}

func (a *auditLog) ofType(typ string) []audit.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Event
	for _, e := range a.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestOpenStartsAStoppedNotebookAndWaitsForIt(t *testing.T) {
	r := newRig(t, fraudStarts(t))
	ctx := context.Background()
	open := func() (broker.OpenResult, error) {
		return r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta})
	}
	res, err := open()
	if err != nil || !res.Waiting() || res.Status != "Pending" || res.URL != "" || res.Team != "fraud" {
		t.Fatalf("Open of a stopped notebook = %+v, %v; want it started (Pending), no URL", res, err)
	}
	if n := r.emu.Starts("fraud-alice-scratch"); n != 1 {
		t.Fatalf("SageMaker accepted %d starts, want 1", n)
	}
	starts := r.audit.ofType(audit.TypeStart)
	if len(starts) != 1 {
		t.Fatalf("%d start events, want 1", len(starts))
	}
	if e := starts[0]; e.Username != "alice" || e.Team != "fraud" || e.Notebook != "fraud-alice-scratch" || e.Decision != audit.Granted ||
		e.SourceIdentity == "" || !strings.Contains(e.Reason, "start_stopped") || e.Role == "" {
		t.Errorf("start event = %+v", e)
	}
	if e := r.audit.last(); e.Type != audit.TypeOpen || e.Decision != audit.Waiting {
		t.Errorf("open event = %+v, want decision %s", e, audit.Waiting)
	}

	// Polled while Pending: no URL, no second start.
	st, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice-scratch"})
	if err != nil || st.Status != "Pending" || st.Ready || st.Start {
		t.Fatalf("Status while starting = %+v, %v", st, err)
	}
	if res, err := open(); err != nil || res.Status != "Pending" || res.URL != "" {
		t.Fatalf("second open while Pending = %+v, %v", res, err)
	}
	if n := r.emu.Starts("fraud-alice-scratch"); n != 1 {
		t.Fatalf("SageMaker accepted %d starts, want 1", n)
	}

	// SageMaker's start takes minutes; the emulator's takes its delay, on
	// its clock.
	r.emu.Advance(awsemu.DefaultTransitionDelay)
	if st, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice-scratch"}); err != nil || !st.Ready {
		t.Fatalf("Status once running = %+v, %v", st, err)
	}
	res, err = open()
	if err != nil || res.URL == "" || res.Waiting() {
		t.Fatalf("Open once InService = %+v, %v; want a URL", res, err)
	}
	if n := len(r.audit.ofType(audit.TypeStart)); n != 1 {
		t.Errorf("%d start events, want 1", n)
	}
}

// Two people (or tabs) opening one stopped notebook at once, through one
// broker or two replicas, cause one start: the broker shares one start per
// notebook, and SageMaker refuses a start of a notebook no longer Stopped,
// which the other replica takes as someone else's start.
func TestConcurrentOpensStartOnce(t *testing.T) {
	mapping := fraudStarts(t)
	r := newRig(t, mapping)
	m, err := abac.Parse("teams.yaml", mapping)
	if err != nil {
		t.Fatal(err)
	}
	replicas := []*broker.Broker{r.b, r.broker(m)}
	const each = 6
	var wg sync.WaitGroup
	errs := make(chan error, each*len(replicas))
	statuses := make(chan string, each*len(replicas))
	for _, b := range replicas {
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta})
				if err != nil {
					errs <- err
					return
				}
				statuses <- res.Status
			}()
		}
	}
	wg.Wait()
	close(errs)
	close(statuses)
	for err := range errs {
		t.Errorf("an open failed: %v", err)
	}
	for s := range statuses {
		if s != "Pending" {
			t.Errorf("an open returned status %q, want Pending", s)
		}
	}
	if n := r.emu.Starts("fraud-alice-scratch"); n != 1 {
		t.Errorf("SageMaker accepted %d starts, want 1", n)
	}
	if n := len(r.audit.ofType(audit.TypeStart)); n != 1 {
		t.Errorf("%d start events in the audit trail, want 1", n)
	}
}

func TestStartRefusedWhenTheTeamDoesNotAllowIt(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	ctx := context.Background()
	_, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta})
	e := api.As(err)
	if e.Code != api.CodeNotebookStopped || e.Kind != api.KindConflict {
		t.Fatalf("err = %v, want notebook_stopped", err)
	}
	for _, want := range []string{"fraud-alice-scratch is stopped", "team fraud does not let secds start", "ask the data platform team (#ds-platform) to start fraud-alice-scratch", "start_stopped"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message %q lacks %q", e.Message, want)
		}
	}
	if n := r.emu.Starts("fraud-alice-scratch"); n != 0 {
		t.Errorf("SageMaker accepted %d starts, want none", n)
	}
	if ev := r.audit.last(); ev.Type != audit.TypeOpen || ev.Code != string(api.CodeNotebookStopped) || len(r.audit.ofType(audit.TypeStart)) != 0 {
		t.Errorf("the refused open's audit event = %+v", ev)
	}
	if _, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta}); api.As(err).Code != api.CodeNotebookStopped {
		t.Errorf("Status = %v, want the same refusal", err)
	}
	if ev := r.audit.last(); ev.Type != audit.TypeStatus || ev.Code != string(api.CodeNotebookStopped) || ev.Username != "alice" || ev.RequestID != meta.RequestID {
		t.Errorf("the refused status request's audit event = %+v", ev)
	}
}

// A broker that would start a notebook for a team whose mapping does not
// allow it is refused by AWS: the generated policy grants
// StartNotebookInstance only to teams with start_stopped.
func TestSecondWallRefusesAStartTheTeamMayNotMake(t *testing.T) {
	r := newRig(t, configs.DevTeams) // IAM without start for fraud
	m, err := abac.Parse("teams.yaml", fraudStarts(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.broker(m).Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta})
	if e := api.As(err); e.Code != api.CodeAWSDenied {
		t.Fatalf("err = %v, want AWS's refusal", err)
	}
	if n := r.emu.Starts("fraud-alice-scratch"); n != 0 {
		t.Errorf("SageMaker accepted %d starts, want none", n)
	}
}

// A Stopping notebook is waited for until Stopped, then started; a Failed
// one is refused with SageMaker's reason.
func TestOpenWaitsForStoppingAndExplainsFailed(t *testing.T) {
	r := newRig(t, fraudStarts(t))
	ctx := context.Background()
	open := func() (broker.OpenResult, error) {
		return r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	}
	if err := r.emu.StopNotebook("fraud-alice"); err != nil {
		t.Fatal(err)
	}
	res, err := open()
	if err != nil || res.Status != "Stopping" || res.URL != "" {
		t.Fatalf("Open while Stopping = %+v, %v", res, err)
	}
	if st, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice"}); err != nil || st.Start || st.Ready {
		t.Fatalf("Status while Stopping = %+v, %v", st, err)
	}
	r.emu.Advance(awsemu.DefaultTransitionDelay)
	if st, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice"}); err != nil || !st.Start || st.Status != "Stopped" {
		t.Fatalf("Status once Stopped = %+v, %v; want start", st, err)
	}
	if res, err := open(); err != nil || res.Status != "Pending" || r.emu.Starts("fraud-alice") != 1 {
		t.Fatalf("Open once Stopped = %+v, %v, %d starts", res, err, r.emu.Starts("fraud-alice"))
	}

	if err := r.emu.SetNotebookFailed("fraud-alice", "The ml.t3.medium capacity in us-east-1a is exhausted"); err != nil {
		t.Fatal(err)
	}
	_, err = open()
	e := api.As(err)
	if e.Code != api.CodeNotebookUnavailable || !strings.Contains(e.Message, "has failed (Failed)") ||
		!strings.Contains(e.Message, "SageMaker says: The ml.t3.medium capacity in us-east-1a is exhausted.") {
		t.Fatalf("err = %v, want the failure with SageMaker's reason", err)
	}
	if _, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice"}); api.As(err).Code != api.CodeNotebookUnavailable {
		t.Errorf("Status of a failed notebook = %v", err)
	}
}

// Polling a starting notebook is cheap: with the role session cached, each
// Status is one DescribeNotebookInstance; the list is read again at most
// once (in the background, after the start changed a notebook's status),
// however many polls.
func TestStatusPollCostsOneDescribe(t *testing.T) {
	r := newRig(t, fraudStarts(t))
	ctx := context.Background()
	if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta}); err != nil {
		t.Fatal(err)
	}
	ops := []string{"AssumeRole", "ListNotebookInstances", "DescribeNotebookInstance", "StartNotebookInstance", "CreatePresignedNotebookInstanceUrl"}
	before := map[string]int{}
	for _, op := range ops {
		before[op] = r.emu.Calls(op)
	}
	const polls = 10
	for range polls {
		if st, err := r.b.Status(ctx, alice, broker.StatusRequest{Notebook: "fraud-alice-scratch"}); err != nil || st.Status != "Pending" {
			t.Fatalf("Status = %+v, %v", st, err)
		}
	}
	for _, op := range ops {
		got, want := r.emu.Calls(op)-before[op], 0
		switch op {
		case "DescribeNotebookInstance":
			want = polls
		case "ListNotebookInstances":
			if got <= 1 {
				continue
			}
			want = 1
		}
		if got != want {
			t.Errorf("%d polls made %d %s calls, want %d", polls, got, op, want)
		}
	}
}
