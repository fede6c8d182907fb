package iameval

import "testing"

// FuzzParse: no document makes Parse or Evaluate panic, and whatever Parse
// accepts evaluates to one of the three decisions.
func FuzzParse(f *testing.F) {
	for _, c := range conditionCases {
		f.Add([]byte(allowWhen(c.cond)))
	}
	for _, c := range evalCases {
		for _, d := range append(append([]string{}, c.identity...), c.resource) {
			if d != "" {
				f.Add([]byte(d))
			}
		}
	}
	req := Request{Principal: session, Role: teamRole, Action: presign, Resource: notebook,
		Context: ctx{"aws:PrincipalTag/team": {"fraud"}, "aws:TagKeys": {"team", "user"}, "aws:SourceIp": {"10.0.0.1"}}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		for _, pols := range []Policies{{Identity: []*Policy{p}}, {Resource: p, ResourceAccount: otherAcct}, {Identity: []*Policy{p}, Session: []*Policy{p}}} {
			if d := Evaluate(req, pols).Decision; d != Allow && d != ImplicitDeny && d != ExplicitDeny {
				t.Fatalf("decision %d", d)
			}
		}
	})
}
