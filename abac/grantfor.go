package abac

import "fmt"

// GrantFor renders the named team's grant for id whether or not id belongs
// to the team: what the team's role session would carry if the broker
// assumed it for this person. It is for tools that ask what IAM alone would
// allow (`secds admin iam --check`); the broker itself uses Evaluate, which
// decides membership first.
func (m *Mapping) GrantFor(team string, id Identity) (Grant, error) {
	for i := range m.Teams {
		if m.Teams[i].Name == team {
			return m.Teams[i].grant(id)
		}
	}
	return Grant{}, fmt.Errorf("no team %q in the mapping", team)
}
