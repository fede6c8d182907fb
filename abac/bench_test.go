package abac_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
)

// largeMapping builds 10,000 teams with 5 rules each: mostly group rules,
// some on claims and email domains, and a few glob-only rules that the index
// cannot narrow and must scan.
func largeMapping(tb testing.TB) *abac.Mapping {
	tb.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nteams:\n")
	for t := 0; t < 10000; t++ {
		fmt.Fprintf(&b, "  - name: team-%d\n    role_arn: arn:aws:iam::111122223333:role/team-%d\n    match:\n", t, t)
		for r := 0; r < 5; r++ {
			switch {
			case t%200 == 0 && r == 4:
				fmt.Fprintf(&b, "      - claims: [{path: projects, glob: [\"p-%d-*\"]}]\n", t)
			case r == 3:
				fmt.Fprintf(&b, "      - claims: [{path: department, equals: [dept-%d]}]\n", t%3000)
			case r == 4:
				fmt.Fprintf(&b, "      - {groups: [g-%d-%d], email_domains: [d%d.example]}\n", t, r, t%50)
			default:
				fmt.Fprintf(&b, "      - groups: [g-%d-%d, shared-%d]\n", t, r, (t*5+r)%20000)
			}
		}
		b.WriteString("    exclude: [{groups: [blocked]}]\n")
		b.WriteString("    session_tags: {cost-center: cc-1, email: \"{{.Email}}\"}\n")
		b.WriteString("    notebooks: {tags: {owner: \"{{.Username}}\"}}\n")
	}
	m, err := abac.Parse("large.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func largeIdentity() abac.Identity {
	groups := []string{"g-17-0", "g-4242-1", "g-9999-2"}
	for i := len(groups); i < 20; i++ {
		groups = append(groups, fmt.Sprintf("unrelated-%d", i))
	}
	return abac.Identity{Username: "alice", Email: "alice@d7.example", Groups: groups,
		Claims: map[string]any{"department": "dept-123", "projects": []any{"p-400-x", "q-1"}}}
}

func TestLargeMappingEvaluates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-team mapping")
	}
	m := largeMapping(t)
	id := largeIdentity()
	grants, _ := m.Evaluate(id)
	// g-17-0, g-4242-1, g-9999-2, department dept-123 (teams 123, 3123, 6123,
	// 9123) and the glob on p-400-*.
	if got := strings.Join(teamsOf(grants), ","); got != "team-17,team-123,team-400,team-3123,team-4242,team-6123,team-9123,team-9999" {
		t.Fatalf("teams = %s", got)
	}
	assertExplainAgrees(t, m, id)
}

// BenchmarkEvaluateLarge: 10,000 teams, 50,000 rules, a user in 20 groups.
// Target: under 20 µs/op.
func BenchmarkEvaluateLarge(b *testing.B) {
	m := largeMapping(b)
	id := largeIdentity()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		grants, _ := m.Evaluate(id)
		if len(grants) != 8 {
			b.Fatalf("%d grants", len(grants))
		}
	}
}
