package iampolicy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/secds/secds/abac"
)

// Notes that do not depend on the options, kept as constants so callers and
// tests can recognise them.
const (
	// NoteMembership: IAM only ever sees the session the broker asks for.
	NoteMembership = "Team membership (groups, claims, subjects, email domains and excludes) is decided by the broker alone: IAM only sees the session the broker asks for, with its team and user tags. What IAM checks is which notebooks that session may open."
)

// IAM's default size quotas, in characters without white space: a role's
// trust policy (raisable to 4,096) and all inline policies of one role.
const (
	maxTrustChars      = 2048
	maxRoleInlineChars = 10240
)

// notes explain the choices behind the documents in plain words.
func notes(m *abac.Mapping, team string, opts Options, teams []TeamPolicies) []string {
	out := []string{NoteMembership, brokerNote(m, team, opts), pinNote(opts)}
	out = append(out, sizeNotes(teams)...)
	if n := startNote(m, team); n != "" {
		out = append(out, n)
	}
	var studio []string
	for _, t := range selectTeams(m, team) {
		if t.Studio != nil {
			studio = append(studio, t.Name)
		}
	}
	if len(studio) > 0 {
		out = append(out, fmt.Sprintf("%s (studio settings in team %s).", NoteStudio, strings.Join(studio, ", ")))
		for _, t := range selectTeams(m, team) {
			if t.Studio != nil && t.Studio.CreateUserProfile {
				out = append(out, fmt.Sprintf("Team %s may create a missing Studio user profile in domain %s (create_user_profile): CreateUserProfile, and the AddTags SageMaker checks for the tags given at creation, only with the tags team=%s and owner=<the person's username>, and AddTags only on a profile with no team tag yet.", t.Name, t.Studio.DomainID, t.Name))
			}
		}
	}
	return out
}

// brokerNote says what the broker policy covers. With one team asked for it
// still covers every team role: it is one policy of one principal, and
// applying a copy that named one role would cut the broker off the others.
func brokerNote(m *abac.Mapping, team string, opts Options) string {
	var accounts []string
	roles := map[string]bool{}
	for _, t := range m.Teams {
		roles[t.RoleARN] = true
		if p := roleRE.FindStringSubmatch(t.RoleARN); p != nil {
			accounts = append(accounts, p[2])
		}
	}
	slices.Sort(accounts)
	accounts = slices.Compact(accounts)
	s := fmt.Sprintf("The broker policy lets the broker's principal assume, tag and set the source identity of the %d team roles of the mapping (accounts %s)",
		len(roles), strings.Join(accounts, ", "))
	if opts.StateTable == "" {
		s += " and nothing else; AWS requires it for a team role in another account than the broker's."
	} else {
		s += fmt.Sprintf(", and call %s on its shared-state table %s (statement %s: that table only, not its indexes or streams; no Scan, no delete), and nothing else; AWS requires it for a team role in another account than the broker's, and for the table.",
			strings.Join(DynamoDBActions, ", "), opts.StateTable, StateTableSid)
		if p := principalRE.FindStringSubmatch(opts.BrokerPrincipal); p != nil && p[2] != tableAccount(opts.StateTable) {
			s += fmt.Sprintf(" The table is in account %s and the broker's principal in %s: DynamoDB also needs a resource-based policy on the table that admits the principal, which this command does not print.", tableAccount(opts.StateTable), p[2])
		}
	}
	if team != "" {
		s += fmt.Sprintf(" It covers every team role, not only %s's: it is the one policy of the broker's principal, and a copy naming only %s's role would cut the broker off the other teams.", team, team)
	}
	return s
}

// pinNote explains where the team sessions' calls and the presigned URLs
// are allowed from, and why.
func pinNote(opts Options) string {
	broker, users := opts.brokerSources(), opts.userSources()
	switch {
	case len(broker) == 0:
		return "Not pinned to a network: the team sessions may call SageMaker, and the presigned URLs may be used, from any address. To pin them, give the broker's network (--source-vpce or --source-ip) and the users' network (--user-ip or --user-vpce)."
	case len(users) == 0:
		return fmt.Sprintf("List, tag and describe calls are allowed only from the broker's network, %s. Presigning is not pinned: AWS checks the presign permission again on every HTTP request and WebSocket frame made with the URL, which come from the users' browsers, so a pin to the broker's network alone would lock every user out. Give the users' network too (--user-ip or --user-vpce) to pin the URL.",
			describe(broker))
	default:
		return fmt.Sprintf("Presigning is allowed from the broker's network, %s, for the broker's CreatePresignedNotebookInstanceUrl call, and from the users' network, %s, where browsers use the URL: AWS checks the same permission on both. A presign or URL request from anywhere else is denied explicitly, and list, tag and describe calls are allowed only from the broker's network.",
			describe(broker), describe(users))
	}
}

// sizeNotes warn about documents over IAM's default quotas, which AWS would
// refuse when they are applied.
func sizeNotes(teams []TeamPolicies) []string {
	var out []string
	for _, p := range teams {
		if n := chars(p.Trust); n > maxTrustChars {
			out = append(out, fmt.Sprintf("The trust policy of team %s is %d characters; IAM allows %d by default: raise the role trust policy length quota (up to 4,096) or give the team fewer session tags.", p.Team, n, maxTrustChars))
		}
		if n := chars(p.Permissions); n > maxRoleInlineChars {
			out = append(out, fmt.Sprintf("The permission policy of team %s is %d characters; IAM allows %d characters of inline policy per role, so AWS would refuse it: name fewer notebooks or selector tags.", p.Team, n, maxRoleInlineChars))
		}
	}
	return out
}

// chars counts a document as IAM does: without white space outside strings,
// which the compact JSON encoding has none of.
func chars(d Document) int {
	b, err := json.Marshal(d)
	if err != nil {
		return 0
	}
	return utf8.RuneCount(b)
}
