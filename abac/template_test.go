package abac_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/secds/secds/abac"
)

// TestRenderRefusesValuesAWSWouldChange: a value that is not already a valid
// tag value is refused for the team, with a reason, and never changed to fit.
// Before, "alice " and "\u00a0alice\t" became alice's own "alice", and
// "alice!" and "alice\u200b" both became "alice_".
func TestRenderRefusesValuesAWSWouldChange(t *testing.T) {
	m := mustParse(t, templated)
	tests := []struct {
		name, username, want string
	}{
		{"trailing space", "alice ", "starts or ends with a space"},
		{"leading space", " alice", "starts or ends with a space"},
		{"no-break space and tab", "\u00a0alice\t", `U+0009 '\t'`},
		{"only spaces", "  ", "starts or ends with a space"},
		{"empty", "", "is empty"},
		{"exclamation mark", "alice!", "U+0021 '!'"},
		{"question mark", "alice?", "U+003F '?'"},
		{"zero-width space", "alice\u200b", `U+200B '\u200b'`},
		{"combining accent (NFD)", "jose\u0301", "U+0301"},
		{"markup", `al<ice>"; team=fraud`, "U+003C '<'"},
		{"invalid UTF-8", "al\xffice", "not valid UTF-8"},
		{"too long", strings.Repeat("a", 257), "257 characters long"},
		{"too long in UTF-16", strings.Repeat("\U00020000", 129), "258 characters long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := abac.Identity{Username: tc.username, Email: "a@example.com", Groups: []string{"ds-research"}, Claims: map[string]any{"department": "risk"}}
			grants, denials := m.Evaluate(id)
			if len(grants) != 0 {
				t.Fatalf("grants = %+v: a value AWS would not take as it is must not give a grant", grants)
			}
			if len(denials) != 1 {
				t.Fatalf("denials = %+v", denials)
			}
			var ve *abac.ValueError
			if !errors.As(denials[0].Err, &ve) {
				t.Fatalf("denial %+v does not carry a *abac.ValueError", denials[0])
			}
			if ve.Name != "owner" || ve.Value != tc.username || !strings.Contains(ve.Problem, tc.want) {
				t.Errorf("value error = %+v, want owner, %q and a problem saying %q", ve, tc.username, tc.want)
			}
			if utf8.ValidString(tc.username) && !strings.Contains(denials[0].Reason, `"owner" would be`) {
				t.Errorf("reason %q does not name the value", denials[0].Reason)
			}
		})
	}
}

// TestRenderKeepsValidValuesExactly: whatever AWS takes is used unchanged, so
// distinct people keep distinct selectors; names in any script are fine.
func TestRenderKeepsValidValuesExactly(t *testing.T) {
	m := mustParse(t, templated)
	valid := []string{
		"alice", "Alice", "alice.smith", "alice-smith", "alice_smith", "alice smith",
		"alice\u00a0smith", // a no-break space is \p{Z}, which AWS allows inside a value
		"李雷", "王芳", "José", "ǅemal", "١٢٣", "a:b/c=d+e-f@g",
		"averyveryverylongfirstname.averyveryverylonglastname.one@example.com",
		"averyveryverylongfirstname.averyveryverylonglastname.two@example.com",
		strings.Repeat("a", 256), strings.Repeat("\U00020000", 128),
	}
	seen := map[string]string{}
	for _, u := range valid {
		grants, denials := m.Evaluate(abac.Identity{Username: u, Email: "a@example.com", Groups: []string{"ds-research"}, Claims: map[string]any{"department": "risk"}})
		if len(grants) != 1 || len(denials) != 0 {
			t.Errorf("%q: grants %+v denials %+v", u, grants, denials)
			continue
		}
		owner := grants[0].NotebookTags["owner"]
		if owner != u {
			t.Errorf("owner for %q = %q, want it unchanged", u, owner)
		}
		if other, dup := seen[owner]; dup {
			t.Errorf("%q and %q share the owner selector %q", u, other, owner)
		}
		seen[owner] = u
	}
}

// awsTagValue is the pattern STS and SageMaker document for tag values.
var awsTagValue = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// FuzzTagValueProblem holds TagValueProblem to AWS's rule: it accepts only
// what AWS accepts, and refuses what AWS accepts only for the three stricter
// reasons it documents (empty, spaces at an end, length in UTF-16 units).
func FuzzTagValueProblem(f *testing.F) {
	for _, s := range []string{"alice", "alice ", "\u00a0alice\t", "alice\u200b", "李雷", "", "a\u2028b", strings.Repeat("\U00020000", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		problem := abac.TagValueProblem(s)
		awsOK := utf8.ValidString(s) && awsTagValue.MatchString(s) && utf8.RuneCountInString(s) <= abac.MaxTagValueLen
		if problem == "" && !awsOK {
			t.Fatalf("TagValueProblem accepts %q, which AWS refuses", s)
		}
		if problem != "" && awsOK && s != "" {
			first, _ := utf8.DecodeRuneInString(s)
			last, _ := utf8.DecodeLastRuneInString(s)
			spaced := unicode.Is(unicode.Z, first) || unicode.Is(unicode.Z, last)
			long := strings.Contains(problem, "characters long")
			if !spaced && !long {
				t.Fatalf("TagValueProblem refuses %q (%s), which AWS accepts", s, problem)
			}
		}
	})
}

// TestStudioNamesAreNotChangedToFit: "al.ice" and "al ice" used to become
// "al-ice", a third person's user profile.
func TestStudioNamesAreNotChangedToFit(t *testing.T) {
	m := mustParse(t, rich)
	for _, u := range []string{"al.ice", "al ice", "al_ice", "-alice", "李雷"} {
		id := abac.Identity{Username: u, Email: "a@lab.example", Claims: map[string]any{"team_space": "nlp"}}
		grants, denials := m.Evaluate(id)
		var ve *abac.ValueError
		if len(grants) != 0 || len(denials) != 1 || !errors.As(denials[0].Err, &ve) || ve.Name != "user_profile" {
			t.Errorf("%q: grants %+v denials %+v, want the studio team refused for its user profile", u, grants, denials)
		}
	}
}

func TestCanonicalValue(t *testing.T) {
	tests := []struct {
		in, want string
		literal  bool
	}{
		{"fraud", "fraud", true},
		{"cc-1042", "cc-1042", true},
		{"{{.Username}}", "{{.Username}}", false},
		{"{{ .Username }}", "{{.Username}}", false},
		{"{{- .Claims.department -}}", "{{.Claims.department}}", false},
		{"fraud-{{ .Username }}", "fraud-{{.Username}}", false},
		{`{{"abc"}}`, `{{"abc"}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, lit := abac.CanonicalValue(tc.in)
			if got != tc.want || lit != tc.literal {
				t.Errorf("CanonicalValue(%q) = %q, %v; want %q, %v", tc.in, got, lit, tc.want, tc.literal)
			}
		})
	}
}
