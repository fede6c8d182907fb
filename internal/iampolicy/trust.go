package iampolicy

import (
	"maps"
	"slices"

	"github.com/secds/secds/abac"
)

// trust admits the broker only as broker/session.go assumes the role: with
// this team's team tag, a user tag, every other session tag of the team
// (literal values pinned), no tag key but those, no transitive tag key but
// the team's, and a source identity, so CloudTrail always names the person.
func trust(t *abac.Team, opts Options) Document {
	extra := slices.Sorted(maps.Keys(t.SessionTags))
	s := Statement{
		Sid:       "BrokerAssumesForTeam" + sidPart(t.Name),
		Effect:    "Allow",
		Principal: map[string]string{"AWS": opts.BrokerPrincipal},
		Action:    []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
	}
	s.with("StringEquals", "aws:RequestTag/team", t.Name)
	s.with("Null", "aws:RequestTag/user", "false")
	for _, k := range extra {
		// A literal value is the same for everyone: pin it. A templated one
		// differs per person, but the broker always sends it (a team whose
		// template cannot be rendered gives no grant), so require it.
		if v, literal := abac.CanonicalValue(t.SessionTags[k]); literal {
			s.with("StringEquals", "aws:RequestTag/"+k, v)
		} else {
			s.with("Null", "aws:RequestTag/"+k, "false")
		}
	}
	// ForAllValues holds every key sent to this list; with the keys above
	// required, the session carries exactly these keys.
	s.with("ForAllValues:StringEquals", "aws:TagKeys", append([]string{"team", "user"}, extra...))
	s.with("Null", "sts:SourceIdentity", "false")
	if len(t.TransitiveTagKeys) > 0 {
		s.with("ForAllValues:StringEquals", "sts:TransitiveTagKeys", slices.Sorted(slices.Values(t.TransitiveTagKeys)))
	} else {
		s.with("Null", "sts:TransitiveTagKeys", "true")
	}
	return Document{Version: policyVersion, Statement: []Statement{s}}
}
