package broker

import (
	"context"

	"github.com/secds/secds/abac"
)

// Overview is what an identity may reach: its teams and their notebooks.
type Overview struct {
	Teams     []string   `json:"teams"`
	Notebooks []Notebook `json:"notebooks"`
	Studios   []Studio   `json:"studios,omitempty"`
	Admin     bool       `json:"admin"`
}

// List returns the identity's teams and the notebooks each lets it open.
// meta is the request's: with URL pinning, the list takes the session an
// open from the same client would (pinned to it), so the open that follows
// needs no AssumeRole of its own.
func (b *Broker) List(ctx context.Context, id abac.Identity, meta RequestMeta) (Overview, error) {
	m := b.mapping()
	name, err := b.principal(m, id)
	if err != nil {
		return Overview{Admin: m.IsAdmin(id)}, err
	}
	policy, err := b.pinPolicy(meta.ClientIP)
	if err != nil {
		return Overview{Admin: m.IsAdmin(id)}, err
	}
	return b.list(ctx, m, id, name, policy)
}

// ListFor returns what id would be offered, for an admin explaining the
// mapping. The AWS calls name the admin, not id: RoleSessionName and
// SourceIdentity are the admin's, so CloudTrail shows who looked. The session
// tags stay id's (user=<id>), because the team role's policy decides by them
// and the answer must be what id would see. It also returns the name used,
// for the audit trail.
func (b *Broker) ListFor(ctx context.Context, admin, id abac.Identity) (Overview, string, error) {
	m := b.mapping()
	name, err := b.principal(m, admin)
	if err != nil {
		return Overview{}, "", err
	}
	if _, err := b.principal(m, id); err != nil {
		return Overview{Admin: m.IsAdmin(id)}, name, err
	}
	// An admin's explain issues no URL: its sessions are not pinned.
	ov, err := b.list(ctx, m, id, name, "")
	return ov, name, err
}

func (b *Broker) list(ctx context.Context, m *abac.Mapping, id abac.Identity, name, policy string) (Overview, error) {
	grants, err := b.grants(m, id, "")
	if err != nil {
		return Overview{Admin: m.IsAdmin(id)}, err
	}
	ctx, release, err := b.acquire(ctx)
	if err != nil {
		return Overview{}, err
	}
	defer release()
	f, err := b.find(ctx, id, name, grants, "", policy)
	if err != nil {
		return Overview{}, err
	}
	b.complianceOf(ctx, f)
	studios, err := b.studios(ctx, m, id, name, grants)
	if err != nil {
		return Overview{}, err
	}
	return Overview{Teams: teamList(grants), Notebooks: f.candidates, Studios: studios, Admin: m.IsAdmin(id)}, nil
}
