package abac

import (
	"fmt"
	"slices"
)

// Grant is what one team lets an identity do: assume RoleARN with the session
// tags and open the notebooks whose tags carry every NotebookTags value.
type Grant struct {
	Team                   string
	RoleARN                string
	SessionTags            map[string]string // the mapping's tags, rendered; the broker adds team and user
	RoleSessionSeconds     int
	NotebookSessionSeconds int
	NotebookTags           map[string]string // always includes team=<Team>
}

// Denial says why a team that matched the identity still gave no grant.
type Denial struct {
	Team   string
	Reason string
}

// Evaluate returns the grants of every team the identity belongs to, in the
// mapping's order. A team whose templates cannot be rendered for this identity
// (a missing claim, an empty value) gives no grant and is listed in denials.
func (m *Mapping) Evaluate(id Identity) (grants []Grant, denials []Denial) {
	for i := range m.Teams {
		t := &m.Teams[i]
		if !t.matches(id) {
			continue
		}
		g, err := t.grant(id)
		if err != nil {
			denials = append(denials, Denial{Team: t.Name, Reason: err.Error()})
			continue
		}
		grants = append(grants, g)
	}
	return grants, denials
}

// IsAdmin reports whether the identity is in one of the admin groups.
func (m *Mapping) IsAdmin(id Identity) bool {
	return slices.ContainsFunc(m.AdminGroups, id.InGroup)
}

func (t *Team) matches(id Identity) bool {
	for _, r := range t.Match {
		if r.matches(id) {
			return true
		}
	}
	return false
}

func (r Rule) matches(id Identity) bool {
	return len(r.Groups) > 0 && slices.ContainsFunc(r.Groups, id.InGroup)
}

func (t *Team) grant(id Identity) (Grant, error) {
	g := Grant{
		Team:                   t.Name,
		RoleARN:                t.RoleARN,
		RoleSessionSeconds:     t.RoleSessionSeconds,
		NotebookSessionSeconds: t.NotebookSessionSeconds,
		SessionTags:            make(map[string]string, len(t.tagTemplates)),
		NotebookTags:           map[string]string{"team": t.Name},
	}
	for k, tmpl := range t.tagTemplates {
		v, err := render(tmpl, id)
		if err != nil {
			return Grant{}, fmt.Errorf("session %w", err)
		}
		g.SessionTags[k] = v
	}
	for k, tmpl := range t.selectorTemplates {
		v, err := render(tmpl, id)
		if err != nil {
			return Grant{}, fmt.Errorf("notebook selector %w", err)
		}
		g.NotebookTags[k] = v
	}
	return g, nil
}
