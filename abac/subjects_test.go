package abac_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
)

const bySubject = `version: 1
teams:
  - name: fraud
    match:
      - groups: [ds-fraud]
      - subjects: [00u-contractor-7]
    exclude:
      - subjects: [00u-leaver-1, 00u-leaver-2]
      - claims: [{path: amr, equals: [pwd-only]}]
    role_arn: arn:aws:iam::111122223333:role/fraud
  - name: audit
    match:
      - {subjects: [00u-auditor], groups: [auditors]}
      - claims: [{path: sub, equals: [00u-by-claim]}]
      - claims: [{path: acr, equals: [phr]}, {path: auth_time, glob: ["17*"]}]
    role_arn: arn:aws:iam::111122223333:role/audit
`

func TestRulesBySubject(t *testing.T) {
	m := mustParse(t, bySubject)
	tests := []struct {
		name string
		id   abac.Identity
		want string
	}{
		{"in the group", abac.Identity{Subject: "00u-alice", Username: "a", Groups: []string{"ds-fraud"}}, "fraud"},
		{"named by subject, in no group", abac.Identity{Subject: "00u-contractor-7", Username: "c"}, "fraud"},
		{"excluded by subject despite the group", abac.Identity{Subject: "00u-leaver-2", Username: "l", Groups: []string{"ds-fraud"}}, ""},
		{"the username does not stand in for the subject", abac.Identity{Subject: "00u-new", Username: "00u-leaver-1", Groups: []string{"ds-fraud"}}, "fraud"},
		{"subjects compare exactly", abac.Identity{Subject: "00U-LEAVER-1", Username: "l", Groups: []string{"ds-fraud"}}, "fraud"},
		{"excluded by amr", abac.Identity{Subject: "00u-alice", Username: "a", Groups: []string{"ds-fraud"}, Claims: map[string]any{"amr": []any{"pwd-only"}}}, ""},
		{"subject AND group: both", abac.Identity{Subject: "00u-auditor", Username: "x", Groups: []string{"auditors"}}, "audit"},
		{"subject AND group: subject only", abac.Identity{Subject: "00u-auditor", Username: "x"}, ""},
		{"subject AND group: group only", abac.Identity{Subject: "00u-other", Username: "x", Groups: []string{"auditors"}}, ""},
		{"claims rule on sub", abac.Identity{Subject: "00u-by-claim", Username: "x", Claims: map[string]any{"sub": "00u-by-claim"}}, "audit"},
		{"claims rule on acr and auth_time", abac.Identity{Subject: "s", Username: "x", Claims: map[string]any{"acr": "phr", "auth_time": float64(1796148788)}}, "audit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			grants, _ := m.Evaluate(tc.id)
			if got := strings.Join(teamsOf(grants), ","); got != tc.want {
				t.Fatalf("teams = %q, want %q", got, tc.want)
			}
			assertExplainAgrees(t, m, tc.id)
		})
	}
}

func TestExplainNamesTheSubject(t *testing.T) {
	m := mustParse(t, bySubject)
	e := m.Explain(abac.Identity{Subject: "00u-leaver-1", Username: "l", Groups: []string{"ds-fraud"}})[0]
	if e.Matched || !strings.Contains(e.Reason, "exclude rule 1 (subjects [00u-leaver-1 00u-leaver-2]) wins") {
		t.Errorf("reason = %q", e.Reason)
	}
	if c := e.Excludes[0].Conditions; len(c) != 1 || !c[0].Matched || c[0].Condition != "subject any of [00u-leaver-1, 00u-leaver-2]" || c[0].Detail != "subject is 00u-leaver-1" {
		t.Errorf("exclude conditions = %+v", c)
	}
	a := m.Explain(abac.Identity{Subject: "00u-x", Username: "x", Groups: []string{"auditors"}})[1]
	if a.Matched || !strings.Contains(a.Reason, "rule 1: subject any of [00u-auditor] (subject 00u-x is none of them)") {
		t.Errorf("reason = %q", a.Reason)
	}
}

// TestRulesOnClaimsThatAreNeverKept: the sign-in drops the claims about the
// token itself, so a rule on one would validate and never match; it is
// refused instead, with its position. The claims that are kept validate.
func TestRulesOnClaimsThatAreNeverKept(t *testing.T) {
	for _, claim := range []string{"iss", "aud", "exp", "iat", "nbf", "jti", "nonce", "at_hash", "c_hash", "s_hash", "azp", "rat"} {
		doc := fmt.Sprintf("version: 1\nteams:\n  - name: t\n    role_arn: arn:aws:iam::111122223333:role/t\n    match: [{groups: [g]}]\n    exclude:\n      - claims: [{path: %s, equals: [x]}]\n", claim)
		_, err := abac.Parse("t.yaml", []byte(doc))
		var ps abac.Problems
		if !errors.As(err, &ps) || !strings.Contains(err.Error(), fmt.Sprintf(`t.yaml:7:25: claim %q describes the ID token, not the person`, claim)) {
			t.Errorf("%s: err = %v", claim, err)
		}
		if !abac.DroppedClaim(claim) {
			t.Errorf("%s is refused in rules but DroppedClaim says it is kept", claim)
		}
	}
	for _, claim := range []string{"sub", "amr", "acr", "auth_time", "sid", "email_verified", "iss.nested"} {
		doc := fmt.Sprintf("version: 1\nteams:\n  - name: t\n    role_arn: arn:aws:iam::111122223333:role/t\n    match: [{claims: [{path: %q, equals: [x]}]}]\n", claim)
		if _, err := abac.Parse("t.yaml", []byte(doc)); err != nil {
			t.Errorf("%s: %v", claim, err)
		}
		if abac.DroppedClaim(claim) {
			t.Errorf("%s validates in rules but DroppedClaim says it is dropped", claim)
		}
	}
}

func TestSubjectValidation(t *testing.T) {
	doc := `version: 1
teams:
  - name: t
    role_arn: arn:aws:iam::111122223333:role/t
    match:
      - subjects: [ok-1, "", " padded", "tab\there", ` + strings.Repeat("x", 256) + `]
`
	_, err := abac.Parse("s.yaml", []byte(doc))
	if err == nil {
		t.Fatal("bad subjects accepted")
	}
	for _, want := range []string{
		"s.yaml:6:26: empty subject",
		`s.yaml:6:30: subject " padded" starts or ends with white space`,
		`s.yaml:6:41: subject "tab\there" contains a control character`,
		"s.yaml:6:54: subject \"" + strings.Repeat("x", 40) + "…\" is longer than the 255 characters",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "ok-1") {
		t.Errorf("a good subject was refused: %v", err)
	}
}

func TestGlobBounds(t *testing.T) {
	long := strings.Repeat("a", abac.MaxGlobLen) + "*"
	stars := strings.Repeat("a*", abac.MaxGlobStars+1)
	ok := strings.Repeat("a*", abac.MaxGlobStars) + strings.Repeat("b", abac.MaxGlobLen-2*abac.MaxGlobStars)
	doc := fmt.Sprintf("version: 1\nteams:\n  - name: t\n    role_arn: arn:aws:iam::111122223333:role/t\n    match:\n      - claims: [{path: p, glob: [%q, %q, %q]}]\n", ok, long, stars)
	_, err := abac.Parse("g.yaml", []byte(doc))
	if err == nil {
		t.Fatal("unbounded globs accepted")
	}
	for _, want := range []string{
		fmt.Sprintf("is longer than %d characters", abac.MaxGlobLen),
		fmt.Sprintf("has %d stars; at most %d are allowed", abac.MaxGlobStars+1, abac.MaxGlobStars),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "g.yaml:6:"); n != 2 {
		t.Errorf("%d problems on line 6, want 2 (the pattern at the bounds is fine):\n%v", n, err)
	}
}
