package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// Opening a notebook that is not running: a Stopped one is started when the
// team allows it (start_stopped), with the team role, once however many
// people or tabs ask at the same moment; a Pending, Updating or (startable)
// Stopping one is waited for. The open then returns the notebook's state
// instead of a URL, and the caller polls Status and opens again once it is
// InService: a URL lives five minutes, so it is never minted before.

// Notebook states, as SageMaker names them.
const (
	StatusInService = "InService"
	StatusStopped   = "Stopped"
	StatusPending   = "Pending"
	StatusUpdating  = "Updating"
	StatusStopping  = "Stopping"
	StatusFailed    = "Failed"
	StatusDeleting  = "Deleting"
)

// PollInterval is how often a waiting page or CLI asks for a notebook's
// state: SageMaker takes minutes to start one, so a few seconds is plenty.
const PollInterval = 3 * time.Second

// nbState is a notebook's state as DescribeNotebookInstance gives it.
type nbState struct {
	Status        string
	FailureReason string
}

// Waiting reports whether the open returned a notebook's state to wait for
// rather than a URL or choices.
func (r OpenResult) Waiting() bool {
	return r.URL == "" && len(r.Choices) == 0 && r.Status != ""
}

// OpensStarting reports whether opening the notebook now would start it or
// wait for it: it is not running (yet), and it is starting or its team
// lets an open start it.
func OpensStarting(m *abac.Mapping, nb Notebook) bool {
	switch nb.Status {
	case StatusPending, StatusUpdating:
		return true
	case StatusStopped, StatusStopping:
		return m.StartsStopped(nb.Team)
	}
	return false
}

// state asks SageMaker for a notebook's state now and corrects the cached
// list with it.
func (b *Broker) state(ctx context.Context, nb Notebook, t teamSession) (nbState, error) {
	out, err := b.sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(nb.Name)}, as(t.creds))
	if err != nil {
		return nbState{}, sageMakerError("DescribeNotebookInstance", nb.Team, nb.Name, err)
	}
	st := nbState{Status: string(out.NotebookInstanceStatus), FailureReason: aws.ToString(out.FailureReason)}
	b.disc.observed(t.grant.RoleARN, nb.Name, st.Status)
	return st, nil
}

// await handles an open of a notebook that is not InService: it starts a
// stopped one the team may start, returns the state to wait for, or refuses
// with what the person can do.
func (b *Broker) await(ctx context.Context, m *abac.Mapping, id abac.Identity, name string, req OpenRequest, nb Notebook, t teamSession, st nbState) (OpenResult, error) {
	wait := OpenResult{Team: nb.Team, Notebook: nb.Name, Status: st.Status}
	switch st.Status {
	case StatusPending, StatusUpdating:
		return wait, nil
	case StatusStopping:
		if !t.grant.StartStopped {
			return OpenResult{}, startRefused(m, nb, st.Status)
		}
		// The next open after it has stopped starts it.
		return wait, nil
	case StatusStopped:
		if !t.grant.StartStopped {
			return OpenResult{}, startRefused(m, nb, st.Status)
		}
		status, err := b.start(ctx, id, name, req, nb, t)
		if err != nil {
			return OpenResult{}, err
		}
		wait.Status = status
		if status == StatusFailed || status == StatusDeleting {
			return OpenResult{}, notOpenable(m, nb.Name, nbState{Status: status})
		}
		return wait, nil
	}
	return OpenResult{}, notOpenable(m, nb.Name, st)
}

// start starts a stopped notebook with the team session and returns its
// state after. Concurrent opens of one notebook in this broker share one
// StartNotebookInstance; across replicas SageMaker refuses every start but
// the first (ValidationException: the notebook is no longer Stopped), which
// is taken as someone else's start: its state is read and waited for. Only
// the start that SageMaker accepted is audited.
func (b *Broker) start(ctx context.Context, id abac.Identity, name string, req OpenRequest, nb Notebook, t teamSession) (string, error) {
	ch := b.starts.DoChan(strings.ToLower(nb.Name), func() (any, error) {
		// The start outlives a caller that gives up: the others share it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
		defer cancel()
		return b.startOnce(ctx, id, name, req, nb, t)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", unavailable(api.CodeAWSTimeout, "AWS did not answer in time. Try again in a minute.", ctx.Err())
	}
}

func (b *Broker) startOnce(ctx context.Context, id abac.Identity, name string, req OpenRequest, nb Notebook, t teamSession) (string, error) {
	_, err := b.sm.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String(nb.Name)}, as(t.creds))
	if isValidation(err) {
		// Not Stopped any more: another replica, or someone in the
		// console, started it first.
		st, derr := b.state(ctx, nb, t)
		if derr != nil {
			return "", derr
		}
		return st.Status, nil
	}
	if err != nil {
		return "", sageMakerError("StartNotebookInstance", nb.Team, nb.Name, err)
	}
	b.disc.observed(t.grant.RoleARN, nb.Name, StatusPending)
	ev := audit.Event{Type: audit.TypeStart, Decision: audit.Granted, Subject: id.Subject, Username: id.Username, Email: id.Email,
		Team: nb.Team, Role: t.grant.RoleARN, Notebook: nb.Name, ClientIP: req.ClientIP, RequestID: req.RequestID, Via: req.Via, TokenID: req.TokenID,
		SourceIdentity: name, Reason: fmt.Sprintf("opened while Stopped; team %s starts stopped notebooks (start_stopped)", nb.Team)}
	if aerr := b.audit.Record(ev); aerr != nil {
		return "", unavailable(api.CodeAuditUnavailable, "Your notebook is starting, but the audit log cannot be written, so it cannot be opened right now. Tell the platform team.", aerr)
	}
	return StatusPending, nil
}

// startRefused tells a person whose team does not let secds start notebooks
// who can.
func startRefused(m *abac.Mapping, nb Notebook, status string) error {
	code, what := api.CodeNotebookStopped, "is stopped"
	if status == StatusStopping {
		code, what = api.CodeNotebookStopping, "is stopping"
	}
	return &api.Error{Kind: api.KindConflict, Code: code,
		Message: fmt.Sprintf("Notebook %s %s, and team %s does not let secds start its notebooks: ask %s to start %s, or to let team %s start its notebooks from secds (start_stopped in the team mapping), then open it again.%s",
			nb.Name, what, nb.Team, SupportContact(m), nb.Name, nb.Team, contactNote(m))}
}

// notOpenable refuses a notebook that will not run by waiting: Failed,
// Deleting, or a state secds does not know, with AWS's reason where it
// gives one.
func notOpenable(m *abac.Mapping, name string, st nbState) error {
	why := ""
	if st.FailureReason != "" {
		why = fmt.Sprintf(" SageMaker says: %s.", strings.TrimSuffix(st.FailureReason, "."))
	}
	switch st.Status {
	case StatusFailed:
		return &api.Error{Kind: api.KindConflict, Code: api.CodeNotebookUnavailable,
			Message: fmt.Sprintf("Notebook %s has failed (Failed) and cannot be opened.%s Tell %s, with this message.", name, why, SupportContact(m))}
	case StatusDeleting:
		return &api.Error{Kind: api.KindConflict, Code: api.CodeNotebookUnavailable,
			Message: fmt.Sprintf("Notebook %s is being deleted (Deleting) and cannot be opened.%s If you still need it, tell %s.", name, why, SupportContact(m))}
	}
	return &api.Error{Kind: api.KindConflict, Code: api.CodeNotebookUnavailable,
		Message: fmt.Sprintf("Notebook %s cannot be opened: its status is %s.%s Tell %s.", name, st.Status, why, SupportContact(m))}
}
