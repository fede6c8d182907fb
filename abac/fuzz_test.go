package abac_test

import (
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
)

// FuzzParse feeds arbitrary mapping files: Parse must never panic, and a
// mapping it accepts must evaluate any identity without panicking and
// without a grant whose selector lacks the team.
func FuzzParse(f *testing.F) {
	f.Add(string(configs.DevTeams))
	f.Add(templated)
	f.Add("version: 1\nteams: [{name: a, match: [{groups: [g]}], role_arn: 'arn:aws:iam::123456789012:role/a'}]\n")
	f.Add("version: 1\nteams:\n  - name: x\n    match: [{groups: [g]}]\n    role_arn: arn:aws:iam::123456789012:role/r\n    notebooks: {tags: {owner: '{{.Claims.x}}'}}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		m, err := abac.Parse("f.yaml", []byte(doc))
		if err != nil {
			return
		}
		for _, id := range []abac.Identity{
			{Username: "u", Groups: []string{"g", "ds-fraud"}, Claims: map[string]any{"x": "y"}},
			{Username: "", Groups: []string{"g"}},
		} {
			grants, _ := m.Evaluate(id)
			for _, g := range grants {
				if g.NotebookTags["team"] != g.Team {
					t.Fatalf("grant %+v has no team selector", g)
				}
				for k, v := range g.NotebookTags {
					if v == "" || len(v) > abac.MaxTagValueLen {
						t.Fatalf("selector %s=%q is empty or too long", k, v)
					}
				}
			}
		}
	})
}

// FuzzEvaluate feeds arbitrary claims to a rich mapping: evaluation must not
// panic, Explain must agree with it, and every rendered value must be a
// clean AWS tag value.
func FuzzEvaluate(f *testing.F) {
	m, err := abac.Parse("rich.yaml", []byte(rich))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("alice", "alice@corp.example", "ds-fraud", "department", "risk", "ds-research-x", true)
	f.Add("b\x00ob", "@", "contractors", "realm_access.roles", "*", "", false)
	f.Add("", "x@lab.example", "", "cognito:groups", "research", "nlp", true)
	f.Fuzz(func(t *testing.T, user, email, group, claim, value, role string, verified bool) {
		id := abac.Identity{Username: user, Email: email, Groups: []string{group},
			Claims: map[string]any{claim: value, "email_verified": verified, "team_space": role,
				"realm_access": map[string]any{"roles": []any{role, value}}}}
		assertExplainAgrees(t, m, id)
		grants, _ := m.Evaluate(id)
		for _, g := range grants {
			for _, tags := range []map[string]string{g.SessionTags, g.NotebookTags} {
				for k, v := range tags {
					if problem := abac.TagValueProblem(v); problem != "" {
						t.Fatalf("tag %s=%q is not a clean AWS tag value: %s", k, v, problem)
					}
				}
			}
		}
	})
}
