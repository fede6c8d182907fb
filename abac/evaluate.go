package abac

import (
	"fmt"
	"slices"
)

// Grant is what one team lets an identity do: assume RoleARN with the session
// tags and open the notebooks the selector allows.
type Grant struct {
	Team                   string            `json:"team"`
	RoleARN                string            `json:"role_arn"`
	SessionTags            map[string]string `json:"session_tags"` // the mapping's tags, rendered; the broker adds team and user
	TransitiveTagKeys      []string          `json:"transitive_tag_keys,omitempty"`
	RoleSessionSeconds     int               `json:"role_session_seconds"`
	NotebookSessionSeconds int               `json:"notebook_session_seconds"`
	NotebookTags           map[string]string `json:"notebook_tags"`            // always includes team=<Team>
	NotebookNames          []string          `json:"notebook_names,omitempty"` // when set, only these
	Studio                 *StudioTarget     `json:"studio,omitempty"`
	// Posture is what a notebook must be before it is opened; nil: no
	// requirement.
	Posture *Posture `json:"posture,omitempty"`
	// StartStopped: an open may start the team's stopped notebooks.
	StartStopped bool `json:"start_stopped,omitempty"`
}

// StudioTarget is a rendered Studio setting.
type StudioTarget struct {
	DomainID    string `json:"domain_id"`
	UserProfile string `json:"user_profile"`
	Space       string `json:"space,omitempty"`
	LandingURI  string `json:"landing_uri,omitempty"`
	// CreateUserProfile: the broker may create the profile when missing.
	CreateUserProfile bool `json:"create_user_profile,omitempty"`
}

// Allows reports whether the grant lets its holder open the notebook with
// this name and these tags.
func (g *Grant) Allows(name string, tags map[string]string) bool {
	if len(g.NotebookNames) > 0 && !slices.Contains(g.NotebookNames, name) {
		return false
	}
	for k, v := range g.NotebookTags {
		if got, ok := tags[k]; !ok || got != v {
			return false
		}
	}
	return len(g.NotebookTags) > 0
}

// Denial says why a team that matched the identity still gave no grant.
type Denial struct {
	Team   string
	Reason string
	Err    error // the cause; a *ValueError when a value cannot be used as it is
}

// Evaluate returns the grants of every team the identity belongs to, in the
// mapping's order. A team whose templates cannot be rendered for this identity
// (a missing claim, an empty value) gives no grant and is listed in denials.
func (m *Mapping) Evaluate(id Identity) (grants []Grant, denials []Denial) {
	if m.stale(id) {
		return nil, nil
	}
	var buf [256]ruleRef
	cands := m.idx.candidates(id, buf[:0])
	var tbuf [16]int32
	teams := tbuf[:0]
	for _, c := range cands {
		if slices.Contains(teams, c.team) {
			continue
		}
		if m.Teams[c.team].Match[c.rule].matches(id) {
			teams = append(teams, c.team)
		}
	}
	slices.Sort(teams)
	if len(teams) > 0 {
		grants = make([]Grant, 0, len(teams))
	}
	for _, ti := range teams {
		t := &m.Teams[ti]
		if t.excluded(id) {
			continue
		}
		g, err := t.grant(id)
		if err != nil {
			denials = append(denials, Denial{Team: t.Name, Reason: err.Error(), Err: err})
			continue
		}
		grants = append(grants, g)
	}
	return grants, denials
}

// IsAdmin reports whether the identity is in one of the admin groups.
func (m *Mapping) IsAdmin(id Identity) bool {
	// No staleness check here: a kept identity lacks only groups no mapping
	// it was kept for named, and a missing group can only say no. The check
	// would refuse the admin whose edit names a new group (keepsAdmin).
	return slices.ContainsFunc(m.AdminGroups, id.InGroup)
}

func (t *Team) excluded(id Identity) bool {
	for i := range t.Exclude {
		if t.Exclude[i].matches(id) {
			return true
		}
	}
	return false
}

func (t *Team) grant(id Identity) (Grant, error) {
	g := Grant{
		Team:                   t.Name,
		RoleARN:                t.RoleARN,
		TransitiveTagKeys:      t.TransitiveTagKeys,
		RoleSessionSeconds:     t.RoleSessionSeconds,
		NotebookSessionSeconds: t.NotebookSessionSeconds,
		StartStopped:           t.StartStopped != nil && *t.StartStopped,
		SessionTags:            make(map[string]string, len(t.tagValues)),
		NotebookTags:           map[string]string{"team": t.Name},
		Posture:                t.posture,
	}
	for k, v := range t.tagValues {
		s, err := v.render(id)
		if err != nil {
			return Grant{}, fmt.Errorf("session tag %w", err)
		}
		g.SessionTags[k] = s
	}
	for k, v := range t.selectorValues {
		s, err := v.render(id)
		if err != nil {
			return Grant{}, fmt.Errorf("notebook tag %w", err)
		}
		g.NotebookTags[k] = s
	}
	for _, v := range t.nameValues {
		s, err := v.render(id)
		if err != nil {
			return Grant{}, fmt.Errorf("notebook name %w", err)
		}
		g.NotebookNames = append(g.NotebookNames, s)
	}
	if t.studio != nil {
		st, err := t.studio.render(id)
		if err != nil {
			return Grant{}, err
		}
		g.Studio = st
	}
	return g, nil
}
