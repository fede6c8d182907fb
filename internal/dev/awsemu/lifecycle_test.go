package awsemu

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// TestNotebookLifecycle: a start moves a Stopped notebook to Pending and,
// after the transition delay on the emulator's clock, to InService; a stop
// moves it through Stopping back to Stopped. SageMaker refuses a start of a
// notebook that is not Stopped (or Failed), which is how a second replica
// learns someone else started it.
func TestNotebookLifecycle(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	env := newTestEnv(t, WithClock(func() time.Time { return start }), WithMaxClockSkew(0), WithTransitionDelay(2*time.Minute))
	sm := env.adminSageMaker()
	ctx := context.Background()
	name := aws.String("fraud-alice-stopped")
	status := func() string {
		t.Helper()
		out, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: name})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.NotebookInstanceStatus)
	}

	if _, err := sm.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: name}); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != "Pending" {
		t.Fatalf("after the start: %s, want Pending", s)
	}
	_, err := sm.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: name})
	if code := errorCode(t, err); code != "ValidationException" || !strings.Contains(err.Error(), "Status (Pending) not in ([Stopped, Failed])") {
		t.Fatalf("second start: %v, want a ValidationException", err)
	}
	_, err = sm.CreatePresignedNotebookInstanceUrl(ctx, &sagemaker.CreatePresignedNotebookInstanceUrlInput{NotebookInstanceName: name})
	if code := errorCode(t, err); code != "ValidationException" {
		t.Fatalf("presign while Pending: %v", err)
	}
	env.emu.Advance(2*time.Minute - time.Second)
	if s := status(); s != "Pending" {
		t.Fatalf("a second before the delay: %s, want Pending", s)
	}
	env.emu.Advance(time.Second)
	out, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: name})
	if err != nil || out.NotebookInstanceStatus != "InService" || !out.LastModifiedTime.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("after the delay: %+v, %v; want InService since %v", out, err, start.Add(2*time.Minute))
	}
	if n := env.emu.Starts("FRAUD-ALICE-STOPPED"); n != 1 {
		t.Errorf("Starts = %d, want 1 (the refused one not counted)", n)
	}

	if _, err := sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: name}); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != "Stopping" {
		t.Fatalf("after the stop: %s, want Stopping", s)
	}
	_, err = sm.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: name})
	if code := errorCode(t, err); code != "ValidationException" {
		t.Fatalf("second stop: %v", err)
	}
	env.emu.Advance(2 * time.Minute)
	list, err := sm.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{NameContains: aws.String("alice-stopped")})
	if err != nil || len(list.NotebookInstances) != 1 || list.NotebookInstances[0].NotebookInstanceStatus != "Stopped" {
		t.Fatalf("the list after the stop's delay: %+v, %v; want Stopped", list, err)
	}
	_, err = sm.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("no-such-notebook")})
	if code := errorCode(t, err); code != "ValidationException" || !strings.Contains(err.Error(), "RecordNotFound") {
		t.Errorf("start of a missing notebook: %v", err)
	}
}

// A setting of the status by hand ends a transition under way.
func TestSetNotebookStatusEndsATransition(t *testing.T) {
	env := newTestEnv(t, WithTransitionDelay(time.Minute))
	if err := env.emu.StopNotebook("fraud-alice"); err != nil {
		t.Fatal(err)
	}
	if err := env.emu.SetNotebookStatus("fraud-alice", "InService"); err != nil {
		t.Fatal(err)
	}
	env.emu.Advance(time.Hour)
	out, err := env.adminSageMaker().DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("fraud-alice")})
	if err != nil || out.NotebookInstanceStatus != "InService" {
		t.Fatalf("status = %+v, %v; want InService, the stop forgotten", out, err)
	}
}

// StartNotebookInstance is authorized by the caller's IAM policies like
// every other call: a team session whose policy does not grant it is
// refused, and nothing starts.
func TestStartNotebookInstanceIsAuthorized(t *testing.T) {
	env := newTestEnv(t)
	creds := env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud", "user": "alice"})
	_, err := env.sessionSageMaker(creds).StartNotebookInstance(context.Background(), &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("fraud-alice-stopped")})
	if code := errorCode(t, err); code != "AccessDeniedException" {
		t.Fatalf("start with a policy that does not grant it: %v", err)
	}
	if n := env.emu.Starts("fraud-alice-stopped"); n != 0 {
		t.Errorf("Starts = %d, want 0", n)
	}
}

// A Failed notebook's FailureReason is the one set, in the seed or by
// SetNotebookFailed.
func TestFailureReason(t *testing.T) {
	seed := testSeed()
	seed.Notebooks[0].Status, seed.Notebooks[0].FailureReason = "Failed", "The volume could not be attached."
	emu, err := New(seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	env := &testEnv{emu: emu, url: srv.URL}
	if err := env.emu.SetNotebookFailed("marketing-bob", "Out of capacity."); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"fraud-alice": "The volume could not be attached.", "marketing-bob": "Out of capacity."} {
		out, err := env.adminSageMaker().DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if err != nil || out.NotebookInstanceStatus != "Failed" || aws.ToString(out.FailureReason) != want {
			t.Errorf("describe %s = %+v, %v; want Failed with %q", name, out, err, want)
		}
	}
}
