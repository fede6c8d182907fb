package iampolicy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/secds/secds/abac"
)

// BrokerIdentity returns the identity policy of the broker's principal: it
// may assume, tag and set the source identity of exactly the team roles of
// the mapping, in every account the mapping names, and, with
// opts.StateTable, call DynamoDBActions on exactly that table; nothing
// else. The broker makes no other AWS call with its own identity (its
// SageMaker calls use the team sessions). AWS needs this policy for team
// roles in another account than the broker's; in the same account it keeps
// the broker's own permissions to these roles.
func BrokerIdentity(m *abac.Mapping, opts Options) (Document, error) {
	if err := opts.check(); err != nil {
		return Document{}, err
	}
	var roles []string
	for _, t := range m.Teams {
		if !roleRE.MatchString(t.RoleARN) {
			return Document{}, fmt.Errorf("team %s: role_arn %q is not an IAM role ARN", t.Name, t.RoleARN)
		}
		roles = append(roles, t.RoleARN)
	}
	if len(roles) == 0 {
		return Document{}, errors.New("the mapping has no team: the broker would assume no role")
	}
	slices.Sort(roles)
	d := Document{Version: policyVersion, Statement: []Statement{{
		Sid:      "AssumeTeamRoles",
		Effect:   "Allow",
		Action:   []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
		Resource: slices.Compact(roles),
	}}}
	if opts.StateTable != "" {
		d.Statement = append(d.Statement, stateTableStatement(opts.StateTable))
	}
	return d, nil
}
