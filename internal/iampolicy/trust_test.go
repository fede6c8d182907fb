package iampolicy_test

import (
	"strings"
	"testing"

	"github.com/secds/secds/internal/iampolicy"
)

// TestTrustPolicy: the trust policy admits the broker only as
// broker/session.go assumes the role: team written literally, a user tag,
// the team's session tags (literal ones pinned), no other key, a source
// identity and the team's transitive keys.
func TestTrustPolicy(t *testing.T) {
	p := generate(t, exampleMapping(t), "fraud", iampolicy.Options{})
	trust := p.Teams[0].Trust
	if trust.Version != "2012-10-17" || len(trust.Statement) != 1 {
		t.Fatalf("trust = %+v", trust)
	}
	s := trust.Statement[0]
	if s.Effect != "Allow" || len(s.Principal) != 1 || s.Principal["AWS"] != broker || len(s.Resource) != 0 {
		t.Errorf("statement = %+v, want the broker as the only principal", s)
	}
	if got := strings.Join(s.Action, ","); got != "sts:AssumeRole,sts:SetSourceIdentity,sts:TagSession" {
		t.Errorf("actions = %s", got)
	}
	checks := []struct {
		op, key string
		want    []string
	}{
		{"StringEquals", "aws:RequestTag/team", []string{"fraud"}},
		{"StringEquals", "aws:RequestTag/cost-center", []string{"cc-1042"}}, // literal session tag: pinned
		{"Null", "aws:RequestTag/department", []string{"false"}},            // templated: required
		{"Null", "aws:RequestTag/user", []string{"false"}},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"team", "user", "cost-center", "department"}},
		{"Null", "sts:SourceIdentity", []string{"false"}},
		{"ForAllValues:StringEquals", "sts:TransitiveTagKeys", []string{"team"}},
	}
	for _, c := range checks {
		t.Run(c.op+" "+c.key, func(t *testing.T) {
			if got := s.Condition[c.op][c.key]; !equalAny(got, c.want...) {
				t.Errorf("%s %s = %v, want %v", c.op, c.key, got, c.want)
			}
		})
	}
	if got := s.Condition["Null"]["sts:TransitiveTagKeys"]; got != nil {
		t.Errorf("a team with transitive keys must not refuse them: %v", got)
	}
	// No condition the broker's request could not meet.
	for op, keys := range s.Condition {
		for k := range keys {
			if !strings.HasPrefix(k, "aws:RequestTag/") && k != "aws:TagKeys" && !strings.HasPrefix(k, "sts:") {
				t.Errorf("unexpected condition %s %s", op, k)
			}
		}
	}
}

func TestTrustWithoutTransitiveKeys(t *testing.T) {
	p := generate(t, devMapping(t), "platform", iampolicy.Options{})
	s := p.Teams[0].Trust.Statement[0]
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
