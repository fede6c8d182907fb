package iampolicy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/secds/secds/abac"
)

// selector is a team's notebook selector as IAM can read it.
type selector struct {
	// tags are the notebook tags IAM checks, team first, then by key: each
	// with the value written literally or as a principal tag variable.
	tags []tagCheck
	// names are the literal notebook names the team is limited to, or nil
	// when the mapping names none or builds one from the identity.
	names []string
	// brokerOnly says, in plain words, what only the broker checks.
	brokerOnly []string
	// start: the team's mapping lets an open start a stopped notebook.
	start bool
}

type tagCheck struct {
	key, value string
}

// usernameTemplate is the selector value the broker's own user session tag
// equals for every identity: broker/session.go sends user=<username exactly>.
const usernameTemplate = "{{.Username}}"

// readSelector translates what the broker derives for a notebook into what
// IAM can compare: the team name and literal values are written literally;
// a value that is the username, or that is rendered by the same template
// as one of the team's session tags, is compared with that principal tag.
// Anything else is only the broker's to check, and is said so.
func readSelector(t *abac.Team) selector {
	sel := selector{tags: []tagCheck{{"team", t.Name}}, start: t.StartStopped != nil && *t.StartStopped}
	for _, k := range slices.Sorted(maps.Keys(t.Notebooks.Tags)) {
		if k == "team" {
			continue // validation holds it to the team name, already checked
		}
		raw := t.Notebooks.Tags[k]
		text, literal := abac.CanonicalValue(raw)
		switch sk, ok := sessionTagFor(t, text); {
		case literal:
			sel.tags = append(sel.tags, tagCheck{k, text})
		case text == usernameTemplate:
			sel.tags = append(sel.tags, tagCheck{k, principalTag("user")})
		case ok:
			sel.tags = append(sel.tags, tagCheck{k, principalTag(sk)})
		default:
			sel.brokerOnly = append(sel.brokerOnly, fmt.Sprintf(
				"notebook tag `%s` = %s: IAM never sees this %s; only the broker checks it. Add a session tag with the same template to let IAM check it too.",
				k, raw, unseen(text)))
		}
	}
	if len(t.Notebooks.Names) == 0 {
		return sel
	}
	var templated []string
	names := make([]string, 0, len(t.Notebooks.Names))
	for _, n := range t.Notebooks.Names {
		if text, literal := abac.CanonicalValue(n); literal {
			names = append(names, text)
		} else {
			templated = append(templated, n)
		}
	}
	if len(templated) > 0 {
		sel.brokerOnly = append(sel.brokerOnly, fmt.Sprintf(
			"notebook names %s: a name built from the identity (%s) cannot be written into an IAM policy, so only the broker checks the names; IAM still checks the tags.",
			strings.Join(t.Notebooks.Names, ", "), strings.Join(templated, ", ")))
		return sel
	}
	sel.names = names
	return sel
}

// sessionTagFor finds the team's session tag rendered by the same template
// as a selector value, so IAM can compare the notebook's tag with that
// principal tag. Keys are tried in order, so the choice is stable.
func sessionTagFor(t *abac.Team, text string) (string, bool) {
	for _, k := range slices.Sorted(maps.Keys(t.SessionTags)) {
		if st, literal := abac.CanonicalValue(t.SessionTags[k]); !literal && st == text {
			return k, true
		}
	}
	return "", false
}

// unseen names what IAM never sees in a templated value.
func unseen(text string) string {
	if strings.Contains(text, ".Claims.") {
		return "claim"
	}
	return "value"
}

func principalTag(key string) string { return "${aws:PrincipalTag/" + key + "}" }

// Enforceable says which parts of a team's notebook selector the generated
// policies have IAM check: the tag keys, and whether the names are (true
// too when the selector names none). The rest is the broker's alone, as
// TeamPolicies.BrokerOnly says in words. `secds admin iam --check` reads it
// from the mapping, not from the policies it checks, so a policy that lost a
// condition cannot explain its own hole away.
func Enforceable(t *abac.Team) (tags map[string]bool, names bool) {
	sel := readSelector(t)
	tags = make(map[string]bool, len(sel.tags))
	for _, c := range sel.tags {
		tags[c.key] = true
	}
	return tags, len(t.Notebooks.Names) == 0 || sel.names != nil
}
