package abac_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
)

const rich = `version: 1
support: ask #ds-platform
admin_groups: [secds-admins]
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
      - claims:
          - path: department
            equals: [fraud, risk]
        email_domains: [corp.example]
    exclude:
      - groups: [contractors]
    role_arn: arn:aws:iam::111122223333:role/fraud
    session_tags:
      cost-center: cc-1
    transitive_tag_keys: [team, cost-center]
    notebooks:
      tags: {owner: "{{.Username}}"}
  - name: research
    match:
      - claims:
          - path: realm_access.roles
            glob: ["ds-research-*"]
      - claims:
          - path: "cognito:groups"
            equals: [research]
    role_arn: arn:aws:iam::444455556666:role/research
    notebooks:
      names: [shared-research, "research-{{.Username}}"]
  - name: studio
    match:
      - email_domains: [Lab.Example]
    role_arn: arn:aws:iam::444455556666:role/studio
    studio:
      domain_id: d-abcdefghijkl
      user_profile: "{{.Username}}"
      space: "space-{{.Claims.team_space}}"
      landing_uri: app:JupyterLab:/
`

func mustParse(t *testing.T, doc string) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse("rich.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func teamsOf(grants []abac.Grant) []string {
	var out []string
	for _, g := range grants {
		out = append(out, g.Team)
	}
	return out
}

func TestRichRules(t *testing.T) {
	m := mustParse(t, rich)
	tests := []struct {
		name string
		id   abac.Identity
		want []string
	}{
		{"group", abac.Identity{Username: "a", Groups: []string{"ds-fraud"}}, []string{"fraud"}},
		{"claim and email domain (AND)", abac.Identity{Username: "a", Email: "a@CORP.example", Claims: map[string]any{"department": "risk"}}, []string{"fraud"}},
		{"claim without the domain", abac.Identity{Username: "a", Email: "a@other.example", Claims: map[string]any{"department": "risk"}}, nil},
		{"unverified email does not count", abac.Identity{Username: "a", Email: "a@corp.example", Claims: map[string]any{"department": "risk", "email_verified": false}}, nil},
		{"exclude wins", abac.Identity{Username: "a", Groups: []string{"ds-fraud", "contractors"}}, nil},
		{"glob on a nested list claim", abac.Identity{Username: "a", Claims: map[string]any{"realm_access": map[string]any{"roles": []any{"x", "ds-research-nlp"}}}}, []string{"research"}},
		{"glob does not match a prefix only", abac.Identity{Username: "a", Claims: map[string]any{"realm_access": map[string]any{"roles": []any{"ds-research"}}}}, nil},
		{"claim name with a colon", abac.Identity{Username: "a", Claims: map[string]any{"cognito:groups": []any{"research"}}}, []string{"research"}},
		{"many-to-many", abac.Identity{Username: "a", Email: "a@lab.example", Groups: []string{"ds-fraud"}, Claims: map[string]any{"cognito:groups": []any{"research"}, "team_space": "x"}}, []string{"fraud", "research", "studio"}},
		{"nothing", abac.Identity{Username: "a", Groups: []string{"staff"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			grants, _ := m.Evaluate(tc.id)
			if got := teamsOf(grants); !slices.Equal(got, tc.want) {
				t.Fatalf("teams = %v, want %v", got, tc.want)
			}
			assertExplainAgrees(t, m, tc.id)
		})
	}
}

func TestRichGrants(t *testing.T) {
	m := mustParse(t, rich)
	id := abac.Identity{Username: "al-ice", Email: "a@lab.example", Groups: []string{"ds-fraud"}, Claims: map[string]any{"cognito:groups": []any{"research"}, "team_space": "nlp"}}
	grants, denials := m.Evaluate(id)
	if len(grants) != 3 || len(denials) != 0 {
		t.Fatalf("grants %+v denials %+v", grants, denials)
	}
	fraud, research, studio := grants[0], grants[1], grants[2]
	if !slices.Equal(fraud.TransitiveTagKeys, []string{"team", "cost-center"}) {
		t.Errorf("transitive keys = %v", fraud.TransitiveTagKeys)
	}
	if !slices.Equal(research.NotebookNames, []string{"shared-research", "research-al-ice"}) {
		t.Errorf("names = %v", research.NotebookNames)
	}
	if !research.Allows("shared-research", map[string]string{"team": "research"}) {
		t.Error("a named notebook with the team tag is allowed")
	}
	if research.Allows("other", map[string]string{"team": "research"}) {
		t.Error("a notebook not in names is refused")
	}
	if research.Allows("shared-research", map[string]string{"team": "fraud"}) {
		t.Error("a named notebook of another team is refused")
	}
	if !fraud.Allows("x", map[string]string{"team": "fraud", "owner": "al-ice", "extra": "1"}) || fraud.Allows("x", map[string]string{"team": "fraud", "owner": "bob"}) {
		t.Error("tag selector")
	}
	want := abac.StudioTarget{DomainID: "d-abcdefghijkl", UserProfile: "al-ice", Space: "space-nlp", LandingURI: "app:JupyterLab:/"}
	if studio.Studio == nil || *studio.Studio != want {
		t.Errorf("studio = %+v, want %+v", studio.Studio, want)
	}
}

// assertExplainAgrees holds Explain to Evaluate's decisions.
func assertExplainAgrees(t *testing.T, m *abac.Mapping, id abac.Identity) {
	t.Helper()
	grants, denials := m.Evaluate(id)
	var explained, explainedDenied []string
	for _, e := range m.Explain(id) {
		if e.Granted {
			explained = append(explained, e.Team)
		} else if e.Matched {
			explainedDenied = append(explainedDenied, e.Team)
		}
		if e.Reason == "" {
			t.Errorf("team %s has no reason", e.Team)
		}
	}
	if got := teamsOf(grants); !slices.Equal(got, explained) {
		t.Fatalf("Evaluate granted %v, Explain %v", got, explained)
	}
	var denied []string
	for _, d := range denials {
		denied = append(denied, d.Team)
	}
	if !slices.Equal(denied, explainedDenied) {
		t.Fatalf("Evaluate denied %v, Explain %v", denied, explainedDenied)
	}
}

func TestExplainReasons(t *testing.T) {
	m := mustParse(t, rich)
	ex := m.Explain(abac.Identity{Username: "a", Email: "a@other.example", Groups: []string{"ds-fraud", "contractors"}, Claims: map[string]any{"department": "hr"}})
	byTeam := map[string]abac.TeamExplanation{}
	for _, e := range ex {
		byTeam[e.Team] = e
	}
	f := byTeam["fraud"]
	if f.Matched || !strings.Contains(f.Reason, "exclude rule 1 (groups [contractors]) wins") {
		t.Errorf("fraud: %+v", f)
	}
	if len(f.Rules) != 2 || !f.Rules[0].Matched || f.Rules[1].Matched {
		t.Errorf("fraud rules: %+v", f.Rules)
	}
	if c := f.Rules[1].Conditions; len(c) != 2 || c[0].Detail != "claim department is [hr]" || c[1].Detail != "email a@other.example" {
		t.Errorf("fraud rule 2 conditions: %+v", c)
	}
	r := byTeam["research"]
	if r.Matched || !strings.Contains(r.Reason, "claim realm_access.roles is missing") {
		t.Errorf("research: %+v", r)
	}
	s := mustParse(t, rich).Explain(abac.Identity{Username: "a", Email: "a@lab.example"})[2]
	if !s.Matched || s.Granted || !strings.Contains(s.Reason, "claim team_space is missing") {
		t.Errorf("studio without the space claim: %+v", s)
	}
}

func TestFastTemplatesRenderLikeTextTemplate(t *testing.T) {
	doc := `version: 1
teams:
  - name: t
    match: [{groups: [g]}]
    role_arn: arn:aws:iam::111122223333:role/t
    session_tags:
      fast: "u-{{.Username}}-{{.Claims.dept}}/{{.Email}}"
      slow: "{{if .Email}}{{.Email}}{{else}}none{{end}}"
      num: "{{.Claims.level}}"
      nested: "{{.Claims.org.unit}}"
`
	m := mustParse(t, doc)
	grants, denials := m.Evaluate(abac.Identity{Username: "ann", Email: "ann@x.example", Groups: []string{"g"},
		Claims: map[string]any{"dept": "risk", "level": float64(3), "org": map[string]any{"unit": "u1"}}})
	if len(grants) != 1 {
		t.Fatalf("denials %+v", denials)
	}
	want := map[string]string{"fast": "u-ann-risk/ann@x.example", "slow": "ann@x.example", "num": "3", "nested": "u1"}
	for k, v := range want {
		if grants[0].SessionTags[k] != v {
			t.Errorf("%s = %q, want %q", k, grants[0].SessionTags[k], v)
		}
	}
}

func TestValidationOfRichSchema(t *testing.T) {
	bad := `version: 1
teams:
  - name: a
    match:
      - {}
      - claims:
          - path: ""
            equals: []
        email_domains: ["@corp.example"]
      - claims: [{path: dept, glob: ["*"]}]
    role_arn: arn:aws:iam::111122223333:role/a
    transitive_tag_keys: [nope]
    notebooks:
      tags: {owner: "bad;value", "aws:cloudformation:stack-name": x}
      names: [not_valid_name]
    studio:
      domain_id: d-123
      landing_uri: http://evil.example
`
	_, err := abac.Parse("bad.yaml", []byte(bad))
	var ps abac.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		"bad.yaml:5:9: a rule needs at least one condition",
		"bad.yaml:7:13: a claim condition needs a path",
		"bad.yaml:7:13: claim condition on \"\" needs equals or glob values",
		"bad.yaml:9:25: email domain \"@corp.example\" is not a domain name",
		"bad.yaml:10:38: glob \"*\" matches any value",
		"bad.yaml:12:27: transitive tag key \"nope\"",
		"bad.yaml:14:21: tag \"owner\" has value \"bad;value\", which AWS would never store",
		"bad.yaml:14:67: tag key \"aws:cloudformation:stack-name\" uses the reserved aws: prefix",
		"bad.yaml:15:15: notebook name \"not_valid_name\" can never match",
		"bad.yaml:17:18: studio.domain_id \"d-123\"",
		"bad.yaml:18:20: studio.landing_uri",
		"bad.yaml:17:7: studio.user_profile is required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q", want)
		}
	}
	if t.Failed() {
		t.Log(err)
	}
}
