package abac_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
)

func devMapping(t *testing.T) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse("dev/teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatalf("the dev mapping must parse: %v", err)
	}
	return m
}

func TestEvaluateDevMapping(t *testing.T) {
	m := devMapping(t)
	tests := []struct {
		name      string
		id        abac.Identity
		wantTeams []string
		wantOwner string
	}{
		{"alice is in fraud", abac.Identity{Username: "alice", Groups: []string{"ds-fraud"}}, []string{"fraud"}, "alice"},
		{"bob is in marketing", abac.Identity{Username: "bob", Groups: []string{"ds-marketing", "staff"}}, []string{"marketing"}, "bob"},
		{"carol has no team", abac.Identity{Username: "carol"}, nil, ""},
		{"unknown groups deny", abac.Identity{Username: "eve", Groups: []string{"ds-fraud-x", "DS-FRAUD"}}, nil, ""},
		{"several teams keep file order", abac.Identity{Username: "dana", Groups: []string{"secds-admins", "ds-fraud"}}, []string{"fraud", "platform"}, "dana"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			grants, denials := m.Evaluate(tc.id)
			if len(denials) != 0 {
				t.Fatalf("denials: %+v", denials)
			}
			var teams []string
			for _, g := range grants {
				teams = append(teams, g.Team)
				if g.NotebookTags["team"] != g.Team {
					t.Errorf("selector team = %q, want %q", g.NotebookTags["team"], g.Team)
				}
				if g.NotebookTags["owner"] != tc.wantOwner {
					t.Errorf("selector owner = %q, want %q", g.NotebookTags["owner"], tc.wantOwner)
				}
				if g.RoleSessionSeconds != 900 || g.NotebookSessionSeconds != 3600 {
					t.Errorf("durations = %d/%d, want defaults 900/3600", g.RoleSessionSeconds, g.NotebookSessionSeconds)
				}
			}
			if strings.Join(teams, ",") != strings.Join(tc.wantTeams, ",") {
				t.Fatalf("teams = %v, want %v", teams, tc.wantTeams)
			}
		})
	}
}

func TestIsAdmin(t *testing.T) {
	m := devMapping(t)
	if !m.IsAdmin(abac.Identity{Groups: []string{"secds-admins"}}) {
		t.Error("secds-admins member is not admin")
	}
	if m.IsAdmin(abac.Identity{Groups: []string{"ds-fraud"}}) {
		t.Error("ds-fraud member is admin")
	}
}

const templated = `version: 1
teams:
  - name: research
    match:
      - groups: [ds-research]
    role_arn: arn:aws:iam::210987654321:role/research
    session_tags:
      department: "{{.Claims.department}}"
      email: "{{.Email}}"
    notebooks:
      tags:
        owner: "{{.Username}}"
`

func TestMissingClaimDeniesTheTeam(t *testing.T) {
	m, err := abac.Parse("t.yaml", []byte(templated))
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]abac.Identity{
		"claim missing":  {Username: "alice", Email: "a@example.com", Groups: []string{"ds-research"}},
		"username empty": {Username: "  ", Email: "a@example.com", Groups: []string{"ds-research"}, Claims: map[string]any{"department": "d"}},
	} {
		t.Run(name, func(t *testing.T) {
			grants, denials := m.Evaluate(id)
			if len(grants) != 0 {
				t.Fatalf("grants = %+v, want none", grants)
			}
			if len(denials) != 1 || denials[0].Team != "research" {
				t.Fatalf("denials = %+v", denials)
			}
		})
	}
}

func TestParseReportsEveryProblemWithPosition(t *testing.T) {
	bad := `version: 1
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
    role_arn: arn:aws:iam::123:role/x
    role_session_seconds: 100
    session_tags:
      team: other
      "aws:foo": bar
      ok: "{{.Usernme}}"
    notebooks:
      tags:
        team: marketing
  - name: fraud
    match: []
    role_arn: arn:aws:iam::123456789012:role/y
    notebook_session_seconds: 50000
`
	_, err := abac.Parse("teams.yaml", []byte(bad))
	var ps abac.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	want := []string{
		"teams.yaml:6:15: role_arn",
		"teams.yaml:7:27: role_session_seconds must be 900–3600",
		"teams.yaml:10:18: tag key \"aws:foo\" uses the reserved aws: prefix",
		"teams.yaml:11:11: template for \"ok\"",
		"teams.yaml:9:13: session tag \"team\" is set by the broker itself",
		"teams.yaml:14:15: notebooks.tags.team must be the team name",
		"teams.yaml:15:11: duplicate team name",
		"teams.yaml:16:12: team \"fraud\" has no match rules",
		"teams.yaml:18:31: notebook_session_seconds must be 1800–43200",
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing problem %q in:\n%s", w, got)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ps), len(want), got)
	}
}

func TestParseUnknownFieldsAndSyntax(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown fields all reported", "version: 1\nteams:\n  - name: a\n    rolearn: x\n    matchh: []\n", "t.yaml:4:5: unknown field \"rolearn\" in team\nt.yaml:5:5: unknown field \"matchh\" in team"},
		{"syntax", "version: 1\nteams: [\n", "t.yaml:2: YAML syntax"},
		{"empty", "", "the mapping is empty"},
		{"wrong version", "version: 2\nteams:\n  - name: a\n    match: [{groups: [g]}]\n    role_arn: arn:aws:iam::123456789012:role/a\n", "t.yaml:1:10: version must be 1, got 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := abac.Parse("t.yaml", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParseUnknownFieldsDoNotHideOtherMistakes: a typo'd field is reported
// with every other mistake of the file, each at its place, in file order.
func TestParseUnknownFieldsDoNotHideOtherMistakes(t *testing.T) {
	doc := `version: 1
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: nope
    notebook_tags: {team: fraud}
  - name: fraud
    mach: []
    match: []
    role_arn: arn:aws:iam::123456789012:role/y
`
	_, err := abac.Parse("t.yaml", []byte(doc))
	var ps abac.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	want := []string{
		"t.yaml:5:15: role_arn \"nope\"",
		"t.yaml:6:5: unknown field \"notebook_tags\" in team",
		"t.yaml:7:11: duplicate team name",
		"t.yaml:8:5: unknown field \"mach\" in team",
		"t.yaml:9:12: team \"fraud\" has no match rules",
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(ps), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d = %q, want it to start with %q", i+1, ps[i], w)
		}
	}
}

func TestExampleMappingIsValid(t *testing.T) {
	data, err := os.ReadFile("../configs/teams.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := abac.Parse("teams.example.yaml", data); err != nil {
		t.Fatalf("the documented example must be valid:\n%v", err)
	}
}
