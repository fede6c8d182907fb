package iamseed

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/iampolicy"
)

// Policy names the documents carry in the emulator, as the inline policies
// an admin would put with `aws iam put-role-policy` / `put-user-policy`.
const (
	TeamPolicyName   = "secds-team"
	BrokerPolicyName = "secds-broker"
)

// generated is the documents for one mapping, as JSON text.
type generated struct {
	broker    string // the broker principal's identity policy
	principal string // the broker principal
	roles     []awsemu.Role
}

func generate(m *abac.Mapping, opts iampolicy.Options) (generated, error) {
	ps, err := iampolicy.Generate(m, "", opts)
	if err != nil {
		return generated{}, fmt.Errorf("generate IAM policies: %w", err)
	}
	broker, err := json.Marshal(ps.Broker.Policy)
	if err != nil {
		return generated{}, fmt.Errorf("broker policy: %w", err)
	}
	g := generated{broker: string(broker), principal: ps.Broker.Principal}
	for _, t := range ps.Teams {
		trust, err := json.Marshal(t.Trust)
		if err != nil {
			return generated{}, fmt.Errorf("team %s trust policy: %w", t.Team, err)
		}
		perms, err := json.Marshal(t.Permissions)
		if err != nil {
			return generated{}, fmt.Errorf("team %s permission policy: %w", t.Team, err)
		}
		g.roles = append(g.roles, awsemu.Role{ARN: t.RoleARN, TrustPolicy: string(trust), Policies: map[string]string{TeamPolicyName: string(perms)}})
	}
	return g, nil
}

// Apply returns seed with the generated policies of m: every team role of
// the mapping gets its trust and permission policies (replacing the seed's;
// a role the seed lacks is added) and the credential whose Principal is
// opts.BrokerPrincipal gets the broker's identity policy. The other roles
// and credentials keep what the seed gave them. seed is not modified.
func Apply(seed awsemu.Seed, m *abac.Mapping, opts iampolicy.Options) (awsemu.Seed, error) {
	g, err := generate(m, opts)
	if err != nil {
		return awsemu.Seed{}, err
	}
	seed.Roles = slices.Clone(seed.Roles)
	for _, r := range g.roles {
		i := slices.IndexFunc(seed.Roles, func(s awsemu.Role) bool { return s.ARN == r.ARN })
		if i < 0 {
			seed.Roles = append(seed.Roles, r)
			continue
		}
		seed.Roles[i].TrustPolicy, seed.Roles[i].Policies = r.TrustPolicy, r.Policies
	}
	seed.Credentials = slices.Clone(seed.Credentials)
	found := false
	for i := range seed.Credentials {
		if seed.Credentials[i].Principal == g.principal {
			seed.Credentials[i].Policies = map[string]string{BrokerPolicyName: g.broker}
			found = true
		}
	}
	if !found {
		return awsemu.Seed{}, fmt.Errorf("apply IAM policies: no seed credential has the broker principal %s", g.principal)
	}
	return seed, nil
}

// Update applies the generated policies of m to a running emulator, as an
// admin applies `secds admin iam` output after editing the mapping: the
// team roles' trust and permission policies (creating missing roles) and
// the broker principal's identity policy, which then names only the roles
// of m. Roles of teams no longer in m keep their policies, as in AWS until
// someone deletes them, but the broker may no longer assume them.
func Update(emu *awsemu.Emulator, m *abac.Mapping, opts iampolicy.Options) error {
	g, err := generate(m, opts)
	if err != nil {
		return err
	}
	for _, r := range g.roles {
		if cur, ok := emu.Role(r.ARN); ok {
			r.MaxSessionDuration = cur.MaxSessionDuration
		}
		if err := emu.PutRole(r); err != nil {
			return fmt.Errorf("apply IAM policies: %w", err)
		}
	}
	if err := emu.SetPrincipalPolicies(g.principal, map[string]string{BrokerPolicyName: g.broker}); err != nil {
		return fmt.Errorf("apply IAM policies: %w", err)
	}
	return nil
}
