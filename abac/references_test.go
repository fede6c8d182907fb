package abac_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
)

// refsMapping reads groups, claims by equals and glob, a nested claim, email
// domains and templated claims, in match and exclude rules alike.
const refsMapping = `
version: 1
admin_groups: [secds-admins]
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
      - claims: [{path: department, equals: [risk]}]
        email_domains: [corp.example]
    exclude:
      - claims: [{path: employment, equals: [terminated]}]
      - groups: [offboarding]
      - subjects: [mallory-oid]
    role_arn: arn:aws:iam::111122223333:role/fraud
    session_tags:
      cost: "{{.Claims.org.unit}}"
  - name: labs
    match:
      - claims: [{path: groups, glob: ["lab-*"]}]
      - claims: [{path: realm_access.roles, equals: [labs]}]
    role_arn: arn:aws:iam::111122223333:role/labs
    notebooks:
      tags: {owner: "{{.Username}}"}
`

func parse(t *testing.T, src string) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse("teams.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReferencesOfAMapping(t *testing.T) {
	r := parse(t, refsMapping).References()
	if want := []string{"ds-fraud", "offboarding", "secds-admins"}; !slices.Equal(r.Groups, want) {
		t.Errorf("groups = %v, want %v", r.Groups, want)
	}
	if want := []string{"email_verified", "org.unit"}; !slices.Equal(r.Claims, want) {
		t.Errorf("whole claims = %v, want %v", r.Claims, want)
	}
	want := map[string]abac.ClaimValues{
		"department":         {Equals: []string{"risk"}},
		"employment":         {Equals: []string{"terminated"}},
		"groups":             {Glob: []string{"lab-*"}},
		"realm_access.roles": {Equals: []string{"labs"}},
	}
	if !reflect.DeepEqual(r.Values, want) {
		t.Errorf("values = %+v, want %+v", r.Values, want)
	}
	if r.AllClaims || r.AllGroups {
		t.Errorf("all claims %v, all groups %v: nothing here reads everything", r.AllClaims, r.AllGroups)
	}
}

func TestReferencesOfTemplates(t *testing.T) {
	tests := []struct {
		tmpl      string
		claims    []string
		allClaims bool
		allGroups bool
	}{
		{`{{.Username}}-x`, nil, false, false},
		{`{{.Claims.dept}}-{{.Claims.org.unit}}`, []string{"dept", "org.unit"}, false, false},
		{`{{.Claims.dept | printf "%s"}}`, []string{"dept"}, false, false},
		{`{{if .Claims.vip}}vip{{else}}{{$.Claims.dept}}{{end}}`, []string{"dept", "vip"}, false, false},
		{`{{index .Claims "cognito:username"}}`, nil, true, false},
		// Under a changed dot, .dept is a field this code cannot place.
		{`{{with .Claims}}{{.dept}}{{end}}`, nil, true, true},
		{`{{range .Groups}}{{.}}{{end}}`, nil, true, true},
		{`{{printf "%v" .}}`, nil, true, true},
		{`{{$id := .}}{{$id.Username}}`, nil, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.tmpl, func(t *testing.T) {
			m := parse(t, fmt.Sprintf(`
version: 1
teams:
  - name: a
    match: [{groups: [g]}]
    role_arn: arn:aws:iam::111122223333:role/a
    session_tags: {t: %q}
`, tc.tmpl))
			r := m.References()
			var claims []string
			if !r.AllClaims {
				claims = r.Claims
			}
			if !slices.Equal(claims, tc.claims) || r.AllClaims != tc.allClaims || r.AllGroups != tc.allGroups {
				t.Errorf("claims %v all %v, all groups %v; want %v %v %v", r.Claims, r.AllClaims, r.AllGroups, tc.claims, tc.allClaims, tc.allGroups)
			}
		})
	}
}

// entra is an Entra ID-sized identity: 500 group object IDs, the raw groups
// claim beside them, and a few claims the mapping reads.
func entra(extra map[string]any, groups ...string) abac.Identity {
	all := make([]string, 0, 500)
	for i := len(groups); i < 500; i++ {
		all = append(all, fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))
	}
	all = append(all, groups...)
	raw := make([]any, len(all))
	for i, g := range all {
		raw[i] = g
	}
	claims := map[string]any{"groups": raw, "name": "Eve Entra", "tid": "c0ffee"}
	for k, v := range extra {
		claims[k] = v
	}
	return abac.Identity{Subject: "eve-oid", Username: "eve", Email: "eve@corp.example", Groups: all, Claims: claims}
}

func withSubject(id abac.Identity, sub string) abac.Identity {
	id.Subject = sub
	return id
}

func keptTeams(gs []abac.Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Team+":"+g.SessionTags["cost"])
	}
	return out
}

// TestKeepDecidesAsTheWholeIdentity: what a session keeps is decided exactly
// as the whole identity would be — exclusions, unverified emails, globs over
// list claims and nested claims included — and is a small part of it.
func TestKeepDecidesAsTheWholeIdentity(t *testing.T) {
	m := parse(t, refsMapping)
	org := map[string]any{"unit": "u7", "site": "x"}
	ids := map[string]abac.Identity{
		"in by group":              entra(map[string]any{"org": org}, "ds-fraud"),
		"terminated":               entra(map[string]any{"org": org, "employment": "terminated"}, "ds-fraud"),
		"offboarding":              entra(map[string]any{"org": org}, "ds-fraud", "offboarding"),
		"in by claim and email":    entra(map[string]any{"org": org, "department": "risk"}),
		"email unverified":         entra(map[string]any{"org": org, "department": "risk", "email_verified": false}),
		"in by a glob over groups": entra(nil, "lab-7"),
		"in by a nested list":      entra(map[string]any{"realm_access": map[string]any{"roles": []any{"x", "labs"}}}),
		"admin":                    entra(nil, "secds-admins"),
		"no team":                  entra(nil),
		"excluded by subject":      withSubject(entra(nil, "ds-fraud"), "mallory-oid"),
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			kept := m.Keep(id)
			wantG, _ := m.Evaluate(id)
			gotG, _ := m.Evaluate(kept)
			if !slices.Equal(keptTeams(gotG), keptTeams(wantG)) {
				t.Errorf("kept identity gets %v, the whole one %v", keptTeams(gotG), keptTeams(wantG))
			}
			if m.IsAdmin(kept) != m.IsAdmin(id) {
				t.Errorf("admin: kept %v, whole %v", m.IsAdmin(kept), m.IsAdmin(id))
			}
			if len(kept.Groups) > 3 || kept.Kept == "" || kept.Subject != id.Subject || kept.Username != id.Username || kept.Email != id.Email {
				t.Errorf("kept identity %+v", kept)
			}
			if _, ok := kept.Claims["name"]; ok {
				t.Errorf("kept a claim no rule reads: %v", kept.Claims)
			}
		})
	}
	// The whole identity is left as it was.
	id := ids["in by a nested list"]
	_ = m.Keep(id)
	if len(id.Groups) != 500 || len(id.Claims["groups"].([]any)) != 500 {
		t.Error("Keep changed the identity it was given")
	}
	if got := ids["terminated"]; len(fmt.Sprint(m.Keep(got))) > 600 {
		t.Errorf("kept identity is %d bytes: %v", len(fmt.Sprint(m.Keep(got))), m.Keep(got))
	}
}

func TestKeepDoesNotShareNestedClaims(t *testing.T) {
	m := parse(t, `
version: 1
teams:
  - name: a
    match: [{claims: [{path: org.unit, equals: [u]}]}]
    role_arn: arn:aws:iam::111122223333:role/a
    session_tags: {o: "{{.Claims.org.site}}"}
`)
	org := map[string]any{"unit": "u", "site": "s", "secret": "big"}
	kept := m.Keep(abac.Identity{Subject: "s", Username: "u", Claims: map[string]any{"org": org}})
	if len(org) != 3 {
		t.Errorf("the source claim changed: %v", org)
	}
	if got := kept.Claims["org"].(map[string]any); len(got) != 2 || got["unit"] != "u" || got["site"] != "s" {
		t.Errorf("kept org = %v", got)
	}
}

func TestCarries(t *testing.T) {
	base := parse(t, refsMapping)
	id := entra(map[string]any{"department": "risk"}, "ds-fraud")
	kept := base.Keep(id)

	// A new exclude on a group the session did not keep.
	moreGroups := parse(t, strings.Replace(refsMapping, "groups: [offboarding]", "groups: [offboarding, on-leave]", 1))
	// A new claim condition.
	moreClaims := parse(t, strings.Replace(refsMapping, "equals: [terminated]", "equals: [terminated, suspended]", 1))
	// A team removed: what it read is no longer needed.
	fewer := parse(t, refsMapping[:strings.Index(refsMapping, "  - name: labs")])
	// Another role ARN: no reference changes.
	same := parse(t, strings.Replace(refsMapping, "role/labs", "role/labs-2", 1))
	// A template reading a claim the session did not keep.
	newTemplate := parse(t, strings.Replace(refsMapping, `owner: "{{.Username}}"`, `owner: "{{.Claims.name}}"`, 1))

	tests := []struct {
		name string
		m    *abac.Mapping
		id   abac.Identity
		want bool
	}{
		{"the mapping it was kept for", base, kept, true},
		{"a mapping with the same references", same, kept, true},
		{"a mapping that reads less", fewer, kept, true},
		{"a mapping that names a new group", moreGroups, kept, false},
		{"a mapping that tests a new claim value", moreClaims, kept, false},
		{"a mapping whose template reads a new claim", newTemplate, kept, false},
		{"an identity never cut down", base, id, false},
		{"an unknown digest", base, abac.Identity{Subject: "s", Username: "u", Kept: "r1.unknown"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Carries(tc.id); got != tc.want {
				t.Errorf("Carries = %v, want %v", got, tc.want)
			}
		})
	}
	if same.References().Digest() != base.References().Digest() {
		t.Error("a change that reads nothing new changed the digest")
	}
	if moreGroups.References().Digest() == base.References().Digest() {
		t.Error("a new group did not change the digest")
	}

	// Evaluate refuses a stale identity itself. IsAdmin reads groups alone,
	// and a kept identity holds every admin group it was kept for.
	admin := base.Keep(entra(map[string]any{"org": map[string]any{"unit": "u"}}, "secds-admins", "ds-fraud"))
	if g, _ := moreGroups.Evaluate(admin); len(g) != 0 {
		t.Errorf("a stale identity was granted %v", keptTeams(g))
	}
	if !moreGroups.IsAdmin(admin) {
		t.Error("an admin checked against a mapping that names a new group is no longer an admin (keepsAdmin would refuse every such edit)")
	}
	if g, _ := base.Evaluate(admin); len(g) != 1 || !base.IsAdmin(admin) {
		t.Errorf("a fresh kept identity: grants %v, admin %v", keptTeams(g), base.IsAdmin(admin))
	}
}

// TestReferencesKnowsEveryRuleField fails when Rule gains a condition, so
// whoever adds one also teaches References what it reads: a condition
// References does not know would be evaluated on an identity without it.
func TestReferencesKnowsEveryRuleField(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[abac.Rule]().Fields() {
		fields = append(fields, f.Name)
	}
	if want := []string{"Subjects", "Groups", "Claims", "EmailDomains"}; !slices.Equal(fields, want) {
		t.Fatalf("abac.Rule has fields %v; references.go knows %v: teach computeReferences the new ones, then update this list", fields, want)
	}
}
