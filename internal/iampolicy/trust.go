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
//
// AWS authorizes one AssumeRole call as up to three actions: sts:AssumeRole
// always, sts:TagSession when tags are passed, sts:SetSourceIdentity when a
// source identity is. Each gets its own statement with the condition keys
// the Service Authorization Reference lists for it, so no statement depends
// on a key AWS may leave out of that action's request context. The
// sts:AssumeRole statement carries every condition, so a call that passes
// no tags or no source identity (and so skips the other two actions) is
// still refused.
func trust(t *abac.Team, opts Options) Document {
	principal := map[string]string{"AWS": opts.BrokerPrincipal}
	assume := Statement{Sid: "BrokerAssumesForTeam" + sidPart(t.Name), Effect: "Allow", Principal: principal, Action: []string{"sts:AssumeRole"}}
	tag := Statement{Sid: "BrokerTagsSessionForTeam" + sidPart(t.Name), Effect: "Allow", Principal: principal, Action: []string{"sts:TagSession"}}
	source := Statement{Sid: "BrokerSetsSourceIdentityForTeam" + sidPart(t.Name), Effect: "Allow", Principal: principal, Action: []string{"sts:SetSourceIdentity"}}
	for _, s := range []*Statement{&assume, &tag} {
		sessionTagConditions(s, t)
	}
	for _, s := range []*Statement{&assume, &source} {
		s.with("Null", "sts:SourceIdentity", "false")
	}
	return Document{Version: policyVersion, Statement: []Statement{assume, tag, source}}
}

// sessionTagConditions pin the session tags and transitive tag keys the
// broker sends for the team.
func sessionTagConditions(s *Statement, t *abac.Team) {
	extra := slices.Sorted(maps.Keys(t.SessionTags))
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
	if len(t.TransitiveTagKeys) > 0 {
		s.with("ForAllValues:StringEquals", "sts:TransitiveTagKeys", slices.Sorted(slices.Values(t.TransitiveTagKeys)))
	} else {
		s.with("Null", "sts:TransitiveTagKeys", "true")
	}
}
