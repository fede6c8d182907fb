package iampolicy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iampolicy"
)

// TestBrokerIdentity: the broker's principal may assume, tag and set the
// source identity of exactly the mapping's team roles, in every account,
// sorted and without repeats, and nothing else.
func TestBrokerIdentity(t *testing.T) {
	m := parseMapping(t, "t.yaml", []byte(`version: 1
teams:
  - name: zeta
    match: [{groups: [z]}]
    role_arn: arn:aws:iam::444455556666:role/secds-team-zeta
    notebooks: {tags: {owner: "{{.Username}}"}}
  - name: alpha
    match: [{groups: [a]}]
    role_arn: arn:aws:iam::111122223333:role/secds-team-alpha
  - name: alpha-too
    match: [{groups: [a2]}]
    role_arn: arn:aws:iam::111122223333:role/secds-team-alpha
`))
	want := []string{"arn:aws:iam::111122223333:role/secds-team-alpha", "arn:aws:iam::444455556666:role/secds-team-zeta"}
	for _, team := range []string{"", "zeta"} {
		t.Run("team="+team, func(t *testing.T) {
			p := generate(t, m, team, iampolicy.Options{})
			if p.Broker.Principal != broker {
				t.Errorf("principal = %q", p.Broker.Principal)
			}
			d := p.Broker.Policy
			if d.Version != "2012-10-17" || len(d.Statement) != 1 {
				t.Fatalf("broker policy = %+v", d)
			}
			s := d.Statement[0]
			if s.Effect != "Allow" || s.Principal != nil || s.Condition != nil {
				t.Errorf("statement = %+v", s)
			}
			if got := strings.Join(s.Action, ","); got != "sts:AssumeRole,sts:SetSourceIdentity,sts:TagSession" {
				t.Errorf("actions = %s", got)
			}
			if !slices.Equal(s.Resource, want) {
				t.Errorf("resources = %v, want %v (every team role, whichever team is printed)", s.Resource, want)
			}
		})
	}
	p := generate(t, m, "zeta", iampolicy.Options{})
	if len(p.Teams) != 1 || !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "not only zeta's") }) {
		t.Errorf("one team asked: teams %d, notes %q", len(p.Teams), p.Notes)
	}

	doc, err := iampolicy.BrokerIdentity(exampleMapping(t), iampolicy.Options{BrokerPrincipal: "arn:aws:iam::999988887777:user/secds-broker"})
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Statement[0].Resource; !slices.Equal(got, []string{"arn:aws:iam::111122223333:role/secds-team-fraud", "arn:aws:iam::444455556666:role/secds-team-marketing"}) {
		t.Errorf("example mapping's roles = %v, want both accounts", got)
	}
	if _, err := iampolicy.BrokerIdentity(exampleMapping(t), iampolicy.Options{}); err == nil {
		t.Error("no broker principal: want an error")
	}
}
