package abac_test

import (
	"strings"
	"testing"

	"github.com/secds/secds/abac"
)

// start_stopped is off unless the team or the defaults turn it on; a team's
// own setting wins over the default, false included.
func TestStartStoppedDefaultsAndOverrides(t *testing.T) {
	const base = `version: 1
defaults:
  start_stopped: %s
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/fraud
%s  - name: risk
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/risk
`
	for _, tc := range []struct {
		name, def, fraud string
		want             map[string]bool
	}{
		{"off by default", "false", "", map[string]bool{"fraud": false, "risk": false}},
		{"one team on", "false", "    start_stopped: true\n", map[string]bool{"fraud": true, "risk": false}},
		{"default on", "true", "", map[string]bool{"fraud": true, "risk": true}},
		{"default on, one team off", "true", "    start_stopped: false\n", map[string]bool{"fraud": false, "risk": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(strings.Replace(base, "%s", tc.def, 1), "%s", tc.fraud, 1)
			m, err := abac.Parse("teams.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			grants, _ := m.Evaluate(abac.Identity{Subject: "s", Username: "alice", Groups: []string{"ds-fraud"}})
			for _, g := range grants {
				if g.StartStopped != tc.want[g.Team] || m.StartsStopped(g.Team) != tc.want[g.Team] {
					t.Errorf("team %s: grant %v, mapping %v, want %v", g.Team, g.StartStopped, m.StartsStopped(g.Team), tc.want[g.Team])
				}
			}
			if len(grants) != 2 {
				t.Fatalf("%d grants", len(grants))
			}
		})
	}
	t.Run("not a boolean", func(t *testing.T) {
		src := strings.Replace(strings.Replace(base, "%s", "false", 1), "%s", "    start_stopped: sometimes\n", 1)
		if _, err := abac.Parse("teams.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "teams.yaml:") {
			t.Errorf("start_stopped: sometimes parsed: %v", err)
		}
	})
}
