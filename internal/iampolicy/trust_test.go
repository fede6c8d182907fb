package iampolicy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iampolicy"
)

// TestTrustPolicy: the trust policy admits the broker only as
// broker/session.go assumes the role: team written literally, a user tag,
// the team's session tags (literal ones pinned), no other key, a source
// identity and the team's transitive keys. One statement per action, each
// on the keys AWS lists for it; sts:AssumeRole, always authorized, on all.
func TestTrustPolicy(t *testing.T) {
	p := generate(t, exampleMapping(t), "fraud", iampolicy.Options{})
	trust := p.Teams[0].Trust
	if trust.Version != "2012-10-17" || len(trust.Statement) != 3 {
		t.Fatalf("trust = %+v", trust)
	}
	tags := []string{"StringEquals aws:RequestTag/team", "StringEquals aws:RequestTag/cost-center", "Null aws:RequestTag/department",
		"Null aws:RequestTag/user", "ForAllValues:StringEquals aws:TagKeys", "ForAllValues:StringEquals sts:TransitiveTagKeys"}
	source := []string{"Null sts:SourceIdentity"}
	statements := []struct {
		sid, action string
		conds       []string
	}{
		{"BrokerAssumesForTeamFraud", "sts:AssumeRole", append(slices.Clone(tags), source...)},
		{"BrokerTagsSessionForTeamFraud", "sts:TagSession", tags},
		{"BrokerSetsSourceIdentityForTeamFraud", "sts:SetSourceIdentity", source},
	}
	want := map[string][]string{
		"StringEquals aws:RequestTag/team":                {"fraud"},
		"StringEquals aws:RequestTag/cost-center":         {"cc-1042"}, // literal session tag: pinned
		"Null aws:RequestTag/department":                  {"false"},   // templated: required
		"Null aws:RequestTag/user":                        {"false"},
		"ForAllValues:StringEquals aws:TagKeys":           {"team", "user", "cost-center", "department"},
		"Null sts:SourceIdentity":                         {"false"},
		"ForAllValues:StringEquals sts:TransitiveTagKeys": {"team"},
	}
	for i, st := range statements {
		t.Run(st.sid, func(t *testing.T) {
			s := trust.Statement[i]
			if s.Sid != st.sid || s.Effect != "Allow" || len(s.Principal) != 1 || s.Principal["AWS"] != broker || len(s.Resource) != 0 {
				t.Errorf("statement = %+v, want %s with the broker as the only principal", s, st.sid)
			}
			if !slices.Equal(s.Action, []string{st.action}) {
				t.Errorf("actions = %v, want %s", s.Action, st.action)
			}
			var got []string
			for op, keys := range s.Condition {
				for k, v := range keys {
					got = append(got, op+" "+k)
					if !equalAny(v, want[op+" "+k]...) {
						t.Errorf("%s %s = %v, want %v", op, k, v, want[op+" "+k])
					}
				}
			}
			slices.Sort(got)
			wantConds := slices.Sorted(slices.Values(st.conds))
			if !slices.Equal(got, wantConds) {
				t.Errorf("conditions = %v, want exactly %v", got, wantConds)
			}
		})
	}
}

func TestTrustWithoutTransitiveKeys(t *testing.T) {
	p := generate(t, devMapping(t), "platform", iampolicy.Options{})
	s := p.Teams[0].Trust.Statement[0]
	if tag := p.Teams[0].Trust.Statement[1]; !equalAny(tag.Condition["Null"]["sts:TransitiveTagKeys"], "true") {
		t.Errorf("tag session: a team without transitive tag keys must refuse them: %+v", tag.Condition)
	}
	if !equalAny(s.Condition["Null"]["sts:TransitiveTagKeys"], "true") {
		t.Errorf("a team without transitive tag keys must refuse them: %+v", s.Condition)
	}
	if !equalAny(s.Condition["ForAllValues:StringEquals"]["aws:TagKeys"], "team", "user") {
		t.Errorf("a team without session tags allows only team and user: %+v", s.Condition)
	}
	if s.Sid != "BrokerAssumesForTeamPlatform" {
		t.Errorf("sid = %s", s.Sid)
	}
}

// TestTrustSizeNote: a trust policy over IAM's default 2,048 characters is
// said so, naming the team, rather than left for AWS to refuse.
func TestTrustSizeNote(t *testing.T) {
	var tags strings.Builder
	tags.WriteString("    session_tags:\n")
	for i := range 20 {
		fmt.Fprintf(&tags, "      attribute-number-%02d: \"{{.Claims.attribute%02d}}\"\n", i, i)
	}
	p := generate(t, parseMapping(t, "t.yaml", inline(tags.String(), "")), "", iampolicy.Options{})
	if !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.HasPrefix(n, "The trust policy of team fraud is ") && strings.Contains(n, "IAM allows 2048 by default")
	}) {
		t.Errorf("notes = %q, want the trust size note", p.Notes)
	}
	if p := generate(t, devMapping(t), "", iampolicy.Options{}); slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "characters") }) {
		t.Errorf("the dev mapping's policies fit, yet: %q", p.Notes)
	}
}
