package broker

import (
	"context"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// StatusRequest names the notebook whose state a waiting page or CLI polls.
type StatusRequest struct {
	Team     string // may be empty
	Notebook string
	RequestMeta
}

// NotebookStatus is a notebook's state as one of its users may see it.
type NotebookStatus struct {
	Team     string `json:"team"`
	Notebook string `json:"notebook"`
	Status   string `json:"status"`
	// Ready: it is InService, so an open now returns its URL.
	Ready bool `json:"ready"`
	// Start: it is Stopped and the team lets an open start it, so the
	// next open starts it (after Stopping, this is how the wait goes on).
	Start bool `json:"start"`
}

// Status tells id the state of a notebook it may open, for the waiting page
// and the CLI to poll between opens. It only reads (one
// DescribeNotebookInstance with the team session), so an answer is not
// audited, every few seconds; a refusal is, as Open's are, so probing
// notebook names here leaves the same trail. It refuses what Open refuses:
// a notebook that is not the person's, a stopped one the team may not
// start, and a Failed or Deleting one (with AWS's reason).
func (b *Broker) Status(ctx context.Context, id abac.Identity, req StatusRequest) (st NotebookStatus, err error) {
	defer func() {
		if err != nil {
			b.auditStatusRefusal(id, req, err)
		}
	}()
	if !notebookNameRE.MatchString(req.Notebook) {
		return NotebookStatus{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadNotebookName,
			Message: "A notebook name is 1–63 letters, digits and hyphens; check the link you followed."}
	}
	m := b.mapping()
	name, err := b.principal(m, id)
	if err != nil {
		return NotebookStatus{}, err
	}
	grants, err := b.grants(m, id, req.Team)
	if err != nil {
		return NotebookStatus{}, err
	}
	ctx, release, err := b.acquire(ctx)
	if err != nil {
		return NotebookStatus{}, err
	}
	defer release()
	// The open's session (pinned to the same client, when URLs are), so
	// polling costs no AssumeRole of its own.
	policy, err := b.pinPolicy(req.ClientIP)
	if err != nil {
		return NotebookStatus{}, err
	}
	found, err := b.find(ctx, id, name, grants, req.Notebook, policy)
	if err != nil {
		return NotebookStatus{}, err
	}
	if len(found.candidates) == 0 {
		return NotebookStatus{}, notYours(m, req.Notebook, grants, found)
	}
	nb := found.candidates[0]
	t := found.teams[nb.Team]
	now, err := b.state(ctx, nb, t)
	if err != nil {
		return NotebookStatus{}, err
	}
	out := NotebookStatus{Team: nb.Team, Notebook: nb.Name, Status: now.Status, Ready: now.Status == StatusInService}
	switch now.Status {
	case StatusInService, StatusPending, StatusUpdating:
	case StatusStopped, StatusStopping:
		if !t.grant.StartStopped {
			return NotebookStatus{}, startRefused(m, nb, now.Status)
		}
		out.Start = now.Status == StatusStopped
	default:
		return NotebookStatus{}, notOpenable(m, nb.Name, now)
	}
	return out, nil
}

// auditStatusRefusal records a refused status request. The trail is the
// audit log's best effort here: no URL or start hangs on it.
func (b *Broker) auditStatusRefusal(id abac.Identity, req StatusRequest, err error) {
	ev := audit.Event{Type: audit.TypeStatus, Decision: audit.Failed, Subject: id.Subject, Username: id.Username, Email: id.Email,
		Team: req.Team, Notebook: req.Notebook, ClientIP: req.ClientIP, RequestID: req.RequestID, Via: req.Via, TokenID: req.TokenID}
	ev.Code, ev.Reason = auditOf(err)
	if k := api.As(err).Kind; k == api.KindForbidden || k == api.KindNotFound || k == api.KindBadRequest {
		ev.Decision = audit.Denied
	}
	_ = b.audit.Record(ev)
}
