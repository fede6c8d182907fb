package broker

import (
	"context"

	"github.com/secds/secds/abac"
)

// Overview is what an identity may reach: its teams and their notebooks.
type Overview struct {
	Teams     []string   `json:"teams"`
	Notebooks []Notebook `json:"notebooks"`
	Admin     bool       `json:"admin"`
}

// List returns the identity's teams and the notebooks each lets it open.
func (b *Broker) List(ctx context.Context, id abac.Identity) (Overview, error) {
	m := b.mapping()
	name, err := b.principal(m, id)
	if err != nil {
		return Overview{Admin: m.IsAdmin(id)}, err
	}
	return b.list(ctx, m, id, name)
}

func (b *Broker) list(ctx context.Context, m *abac.Mapping, id abac.Identity, name string) (Overview, error) {
	grants, err := b.grants(m, id, "")
	if err != nil {
		return Overview{Admin: m.IsAdmin(id)}, err
	}
	ctx, release, err := b.acquire(ctx)
	if err != nil {
		return Overview{}, err
	}
	defer release()
	f, err := b.find(ctx, id, name, grants)
	if err != nil {
		return Overview{}, err
	}
	return Overview{Teams: teamList(grants), Notebooks: f.candidates, Admin: m.IsAdmin(id)}, nil
}
