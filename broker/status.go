package broker

import (
	"context"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// StatusRequest names the notebook whose state a waiting page or CLI polls.
type StatusRequest struct {
	Team     string // may be empty
	Notebook string
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
// DescribeNotebookInstance with the team session), so it is not audited;
// it refuses what Open refuses: a notebook that is not the person's, a
// stopped one the team may not start, and a Failed or Deleting one (with
// AWS's reason).
func (b *Broker) Status(ctx context.Context, id abac.Identity, req StatusRequest) (NotebookStatus, error) {
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
	found, err := b.find(ctx, id, name, grants, req.Notebook)
	if err != nil {
		return NotebookStatus{}, err
	}
	if len(found.candidates) == 0 {
		return NotebookStatus{}, notYours(m, req.Notebook, grants, found)
	}
	nb := found.candidates[0]
	t := found.teams[nb.Team]
	st, err := b.state(ctx, nb, t)
	if err != nil {
		return NotebookStatus{}, err
	}
	out := NotebookStatus{Team: nb.Team, Notebook: nb.Name, Status: st.Status, Ready: st.Status == StatusInService}
	switch st.Status {
	case StatusInService, StatusPending, StatusUpdating:
	case StatusStopped, StatusStopping:
		if !t.grant.StartStopped {
			return NotebookStatus{}, startRefused(m, nb, st.Status)
		}
		out.Start = st.Status == StatusStopped
	default:
		return NotebookStatus{}, notOpenable(m, nb.Name, st)
	}
	return out, nil
}
