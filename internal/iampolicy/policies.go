package iampolicy

import (
	"fmt"

	"github.com/secds/secds/abac"
)

// TeamPolicies are the two documents of one team role, and what of the
// team's grant only the broker enforces.
type TeamPolicies struct {
	Team        string   `json:"team"`
	RoleARN     string   `json:"role_arn"`
	RoleName    string   `json:"role_name"`
	Trust       Document `json:"trust_policy"`
	Permissions Document `json:"permission_policy"`
	// BrokerOnly lists, in plain words, the parts of this team's grant IAM
	// cannot enforce.
	BrokerOnly []string `json:"broker_only,omitempty"`
}

// BrokerPolicy is the identity policy of the principal the broker runs as.
type BrokerPolicy struct {
	Principal string   `json:"principal"`
	Policy    Document `json:"policy"`
}

// Policies is everything `secds admin iam` prints: the broker's own
// policy, each team role's, and notes that explain the choices made.
type Policies struct {
	Broker BrokerPolicy   `json:"broker"`
	Teams  []TeamPolicies `json:"teams"`
	Notes  []string       `json:"notes,omitempty"`
}

// ForMapping returns the policies of the named team, or of every team when
// team is empty, in the mapping's order.
func ForMapping(m *abac.Mapping, team string, opts Options) ([]TeamPolicies, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	var out []TeamPolicies
	for _, t := range selectTeams(m, team) {
		p, err := ForTeam(t, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no team %q in the mapping", team)
	}
	return out, nil
}

// ForTeam returns one team's policies.
func ForTeam(t *abac.Team, opts Options) (TeamPolicies, error) {
	if err := opts.check(); err != nil {
		return TeamPolicies{}, err
	}
	m := roleRE.FindStringSubmatch(t.RoleARN)
	if m == nil {
		return TeamPolicies{}, fmt.Errorf("team %s: role_arn %q is not an IAM role ARN", t.Name, t.RoleARN)
	}
	partition, account, roleName := m[1], m[2], m[3]
	sel := readSelector(t)
	perms := permissions(sel, partition, account, opts)
	perms.Statement = append(perms.Statement, studioStatements(t, partition, account, opts)...)
	return TeamPolicies{
		Team:        t.Name,
		RoleARN:     t.RoleARN,
		RoleName:    roleName,
		Trust:       trust(t, opts),
		Permissions: perms,
		BrokerOnly:  sel.brokerOnly,
	}, nil
}

// Generate returns the broker's policy, the policies of the named team (or
// of every team when team is empty) and the notes that explain them.
func Generate(m *abac.Mapping, team string, opts Options) (Policies, error) {
	teams, err := ForMapping(m, team, opts)
	if err != nil {
		return Policies{}, err
	}
	broker, err := BrokerIdentity(m, opts)
	if err != nil {
		return Policies{}, err
	}
	return Policies{
		Broker: BrokerPolicy{Principal: opts.BrokerPrincipal, Policy: broker},
		Teams:  teams,
		Notes:  notes(m, team, opts, teams),
	}, nil
}

func selectTeams(m *abac.Mapping, team string) []*abac.Team {
	var out []*abac.Team
	for i := range m.Teams {
		if team == "" || m.Teams[i].Name == team {
			out = append(out, &m.Teams[i])
		}
	}
	return out
}
