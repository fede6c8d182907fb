package iamcheck

import (
	"fmt"
	"maps"
	"slices"

	"github.com/secds/secds/abac"
)

// probe is one AssumeRole the trust policy must refuse: the broker's own
// call for a person, changed the way a broker that went wrong would change
// it.
type probe struct {
	what   string // what is wrong with the call, for the report
	change func(*roleSession)
	// other makes the call as a principal other than the broker.
	other bool
}

// probes are the wrong calls for team t, from the broker's honest session
// s: the trust policy must admit the broker only as the broker assumes the
// role for this team.
func (c *checker) probes(t *team, s *roleSession) []probe {
	other := "another-team"
	for _, o := range c.teams {
		if o.name != t.name {
			other = o.name
			break
		}
	}
	ps := []probe{
		{"without a SourceIdentity", func(s *roleSession) { s.sourceIdentity = "" }, false},
		{"without any session tag", func(s *roleSession) { s.tags, s.tagKeys = map[string]string{}, nil }, false},
		{"with team tag " + other, func(s *roleSession) { s.setTag("team", other, false) }, false},
		{"without the team tag", func(s *roleSession) { s.setTag("team", "", true) }, false},
		{"without the user tag", func(s *roleSession) { s.setTag("user", "", true) }, false},
		{"with a tag key the mapping does not name", func(s *roleSession) { s.setTag("secds-unlisted", "x", false) }, false},
		{"as a principal other than the broker", func(*roleSession) {}, true},
	}
	for _, k := range slices.Sorted(maps.Keys(s.tags)) {
		if !slices.Contains(s.transitive, k) {
			ps = append(ps, probe{"with tag " + k + " made transitive", func(s *roleSession) { s.transitive = append(s.transitive, k) }, false})
			break
		}
	}
	at := teamNamed(c.m, t.name)
	for _, k := range slices.Sorted(maps.Keys(at.SessionTags)) {
		if _, literal := abac.CanonicalValue(at.SessionTags[k]); literal {
			ps = append(ps, probe{"with session tag " + k + " set to another value", func(s *roleSession) { s.setTag(k, s.tags[k]+"-other", false) }, false})
		}
	}
	return ps
}

// checkTrust runs t's probes and reports each the trust policy admits.
func (c *checker) checkTrust(r *Report, t *team, s *roleSession) {
	stranger := newBrokerPrincipal("arn:aws:iam::" + c.broker.account + ":user/someone-else")
	for _, p := range c.probes(t, s) {
		wrong := s.clone()
		p.change(wrong)
		by := c.broker
		if p.other {
			by = stranger
		}
		r.TrustProbes++
		if c.assumeAs(r, by, t, wrong) {
			r.TrustHoles = append(r.TrustHoles, fmt.Sprintf("team %s: the trust policy admits an AssumeRole %s", t.name, p.what))
		}
	}
}
