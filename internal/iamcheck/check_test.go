package iamcheck_test

import (
	"os"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iamcheck"
	"github.com/secds/secds/internal/iampolicy"
)

var brokerOpts = iamcheck.Options{Policy: iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/secds-broker"}}

func mapping(t *testing.T, name string, content []byte) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse(name, content)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func exampleMapping(t *testing.T) *abac.Mapping {
	t.Helper()
	content, err := os.ReadFile("../../configs/teams.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return mapping(t, "teams.example.yaml", content)
}

func check(t *testing.T, m *abac.Mapping, opts iamcheck.Options) *iamcheck.Report {
	t.Helper()
	ids, nbs := iamcheck.Synthesize(m)
	r, err := iamcheck.Check(m, ids, nbs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tampered runs the check on the policies generated for m, with each
// permission policy statement kept only when edit (which may change it)
// says so: a deployed policy someone got wrong.
func tampered(t *testing.T, m *abac.Mapping, opts iamcheck.Options, edit func(*iampolicy.Statement) bool) *iamcheck.Report {
	t.Helper()
	pols := tamperedPolicies(t, m, opts, edit)
	ids, nbs := iamcheck.Synthesize(m)
	r, err := iamcheck.CheckPolicies(m, pols, ids, nbs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tamperedPolicies are the policies generated for m with each permission
// policy statement kept only when edit (which may change it) says so.
func tamperedPolicies(t *testing.T, m *abac.Mapping, opts iamcheck.Options, edit func(*iampolicy.Statement) bool) iampolicy.Policies {
	t.Helper()
	pols, err := iampolicy.Generate(m, "", opts.Policy)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pols.Teams {
		doc := &pols.Teams[i].Permissions
		kept := doc.Statement[:0]
		for _, s := range doc.Statement {
			if edit(&s) {
				kept = append(kept, s)
			}
		}
		doc.Statement = kept
	}
	return pols
}

func why(pairs []iamcheck.Pair) map[string]int {
	out := map[string]int{}
	for _, p := range pairs {
		out[p.Why]++
	}
	return out
}

// The shipped mappings: IAM refuses everything the broker refuses, but for
// the pairs the report names as the broker's alone, and allows every open
// the broker makes.
func TestShippedMappingsHaveNoHoles(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    func(*testing.T) *abac.Mapping
	}{
		{"example", exampleMapping},
		{"dev", func(t *testing.T) *abac.Mapping { return mapping(t, "teams.yaml", configs.DevTeams) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m(t)
			r := check(t, m, brokerOpts)
			var text strings.Builder
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s mapping:\n%s", tc.name, text.String())
			if !r.OK() {
				t.Fatalf("IAM disagrees with the broker:\n%s", text.String())
			}
			// The matrix must exercise both sides, or it proves nothing.
			if r.BothAllow == 0 || r.BothRefuse == 0 || len(r.BrokerOnly) == 0 {
				t.Fatalf("degenerate matrix: %d both allow, %d both refuse, %d broker only", r.BothAllow, r.BothRefuse, len(r.BrokerOnly))
			}
			if r.Pairs != r.Identities*r.Notebooks || r.BothAllow+r.BothRefuse+len(r.BrokerOnly) != r.Pairs {
				t.Fatalf("pairs do not add up: %+v", r)
			}
			for _, p := range r.BrokerOnly {
				if !strings.Contains(p.Why, "team membership") && !strings.Contains(p.Why, "refuses this username") && !strings.Contains(p.Why, "checked by the broker only") {
					t.Errorf("broker-only pair without a named reason: %+v", p)
				}
			}
		})
	}
}

// A teammate's notebook and another team's notebook are refused by IAM
// itself, not only by the broker: no pair of a member is broker-only for
// those reasons in a mapping whose selectors IAM can express.
func TestIAMRefusesTeammatesAndOtherTeams(t *testing.T) {
	r := check(t, mapping(t, "teams.yaml", configs.DevTeams), brokerOpts)
	for _, p := range r.BrokerOnly {
		if !strings.Contains(p.Why, "team membership") && !strings.Contains(p.Why, "refuses this username") && !strings.Contains(p.Why, "letter case of tag keys") {
			t.Errorf("the dev mapping has a grant only the broker enforces: %+v", p)
		}
	}
	// fraud-teammate × fraud-member1's notebook: both refuse.
	for _, p := range append(r.BrokerOnly, r.Looser...) {
		if p.User == "fraud-teammate" && p.Notebook == "fraud-fraud-member1" {
			t.Errorf("IAM lets a teammate open a member's notebook: %+v", p)
		}
	}
}

// The check finds holes: a permission policy that forgot the owner
// condition lets a teammate's session presign a member's notebook, and the
// check reports it as IAM looser than the broker.
func TestCheckFindsAHoleInThePolicies(t *testing.T) {
	r := tampered(t, mapping(t, "teams.yaml", configs.DevTeams), brokerOpts, func(s *iampolicy.Statement) bool {
		if s.Effect == "Deny" {
			return false // the explicit denies would still catch it
		}
		for _, ops := range s.Condition {
			delete(ops, "sagemaker:ResourceTag/owner")
		}
		return true
	})
	if r.OK() || len(r.Looser) == 0 {
		t.Fatalf("a policy without the owner condition passed the check: %+v", why(r.Looser))
	}
	found := false
	for _, p := range r.Looser {
		if p.User == "fraud-teammate" && p.Notebook == "fraud-fraud-member1" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the teammate's pair is not among the holes: %v", r.Looser)
	}
}

// A trust policy that asks for more than the broker sends makes every open
// of the team fail; the check reports it as IAM stricter than the broker.
func TestCheckFindsOpensThatWouldFail(t *testing.T) {
	m := mapping(t, "teams.yaml", configs.DevTeams)
	pols, err := iampolicy.Generate(m, "", brokerOpts.Policy)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pols.Teams {
		if pols.Teams[i].Team != "fraud" {
			continue
		}
		s := &pols.Teams[i].Trust.Statement[0]
		s.Condition["Null"]["aws:RequestTag/department"] = "false"
	}
	ids, nbs := iamcheck.Synthesize(m)
	r, err := iamcheck.CheckPolicies(m, pols, ids, nbs, brokerOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Stricter) == 0 {
		t.Fatal("a trust policy refusing the broker's AssumeRole passed the check")
	}
	for _, p := range r.Stricter {
		if !strings.Contains(p.Why, "fraud's trust policy refuses") {
			t.Errorf("unexpected stricter pair: %+v", p)
		}
	}
}

// A notebook tag whose value comes from a claim no session tag carries is
// the broker's alone, and the check names it; carrying the claim in a
// session tag lets IAM enforce it, and the broker-only pairs go away.
func TestClaimSelectorsAreBrokerOnlyUnlessASessionTagCarriesThem(t *testing.T) {
	const base = `version: 1
teams:
  - name: research
    match:
      - groups: [ds-research]
    role_arn: arn:aws:iam::123456789012:role/secds-team-research
%s    notebooks:
      tags:
        owner: "{{.Username}}"
        project: "{{.Claims.project}}"
`
	loose := check(t, mapping(t, "loose.yaml", []byte(strings.Replace(base, "%s", "", 1))), brokerOpts)
	if !loose.OK() {
		t.Fatalf("unexpected failures: %v %v", loose.Looser, loose.Stricter)
	}
	if why(loose.BrokerOnly)["team research: notebook tag project checked by the broker only"] == 0 {
		t.Fatalf("the claim selector is not named as broker-only: %v", why(loose.BrokerOnly))
	}
	if !strings.Contains(strings.Join(loose.Unenforced, "\n"), "project") {
		t.Fatalf("the unenforced grants do not name the claim tag: %v", loose.Unenforced)
	}

	tagged := check(t, mapping(t, "tagged.yaml", []byte(strings.Replace(base, "%s", "    session_tags:\n      project: \"{{.Claims.project}}\"\n", 1))), brokerOpts)
	if !tagged.OK() {
		t.Fatalf("unexpected failures: %v %v", tagged.Looser, tagged.Stricter)
	}
	for w := range why(tagged.BrokerOnly) {
		if strings.Contains(w, "project") {
			t.Fatalf("a session tag carries the claim, yet it is still broker-only: %v", why(tagged.BrokerOnly))
		}
	}
	if tagged.BothRefuse <= loose.BothRefuse {
		t.Fatalf("IAM refuses no more pairs with the session tag: %d vs %d", tagged.BothRefuse, loose.BothRefuse)
	}
}

var pinnedOpts = iamcheck.Options{Policy: iampolicy.Options{
	BrokerPrincipal: "arn:aws:iam::123456789012:role/secds-broker",
	SourceVPCEs:     []string{"vpce-0a1b2c3d4e5f67890"},
	UserIPs:         []string{"198.51.100.0/24"},
}}

// Pinned policies: the broker presigns from its endpoint, the URL works from
// the users' network, and a URL used from anywhere else is refused; a policy
// that lets the URL work from anywhere, or not from the users' network, fails
// the check.
func TestPinning(t *testing.T) {
	m := mapping(t, "teams.yaml", configs.DevTeams)
	if r := check(t, m, pinnedOpts); !r.OK() || r.BothAllow == 0 {
		t.Fatalf("pinned policies fail the check: %v %v", r.Looser, r.Stricter)
	}
	tamper := func(edit func(*iampolicy.Statement) bool) *iamcheck.Report { return tampered(t, m, pinnedOpts, edit) }
	presigns := func(s *iampolicy.Statement) bool {
		for _, a := range s.Action {
			if a == "sagemaker:CreatePresignedNotebookInstanceUrl" {
				return true
			}
		}
		return false
	}
	// Without the deny from elsewhere, and with the users' Allow unpinned,
	// the URL works from anywhere.
	open := tamper(func(s *iampolicy.Statement) bool {
		if !presigns(s) {
			return true
		}
		if s.Effect == "Deny" {
			_, outside := s.Condition["NotIpAddressIfExists"]
			return !outside
		}
		delete(s.Condition, "IpAddress")
		return true
	})
	if len(open.Looser) == 0 || !strings.Contains(open.Looser[0].Why, "outside both the broker's and the users' networks") {
		t.Fatalf("a URL usable from anywhere passed the check: %v", open.Looser)
	}
	// Without the users' Allow, the URL does not open for anyone.
	locked := tamper(func(s *iampolicy.Statement) bool {
		_, users := s.Condition["IpAddress"]
		return !(presigns(s) && s.Effect == "Allow" && users)
	})
	if len(locked.Stricter) == 0 || !strings.Contains(locked.Stricter[0].Why, "the URL's use from the users' network") {
		t.Fatalf("a URL the users cannot use passed the check: %v", locked.Stricter)
	}
}

// A team whose policy lets any session presign any notebook is a hole even
// when no member of that team is in the matrix: a non-member's pair is put
// down to membership only when the team's own grant would let them open it.
func TestNonMembersDoNotExcuseAnOpenPolicy(t *testing.T) {
	m := mapping(t, "teams.yaml", configs.DevTeams)
	pols := tamperedPolicies(t, m, brokerOpts, func(s *iampolicy.Statement) bool {
		s.Condition = nil
		return s.Effect == "Allow"
	})
	ids, nbs := iamcheck.Synthesize(m)
	var outsiders []abac.Identity
	for _, id := range ids {
		if grants, _ := m.Evaluate(id); len(grants) == 0 {
			outsiders = append(outsiders, id)
		}
	}
	if len(outsiders) == 0 {
		t.Fatal("the matrix has no one outside every team")
	}
	r, err := iamcheck.CheckPolicies(m, pols, outsiders, nbs, brokerOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Looser) == 0 {
		t.Fatalf("wide-open team policies passed with outsiders only: %d broker-only pairs %v", len(r.BrokerOnly), why(r.BrokerOnly))
	}
}

// The check tries wrong AssumeRole calls on every trust policy: a trust
// policy that lost its conditions admits a call without a SourceIdentity,
// with another team's tag or an unlisted key, and the check fails.
func TestCheckProbesTheTrustPolicies(t *testing.T) {
	m := exampleMapping(t)
	if r := check(t, m, brokerOpts); r.TrustProbes < 2*7 || len(r.TrustHoles) != 0 {
		t.Fatalf("%d probes, holes %v", r.TrustProbes, r.TrustHoles)
	}
	pols, err := iampolicy.Generate(m, "", brokerOpts.Policy)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pols.Teams {
		for j := range pols.Teams[i].Trust.Statement {
			pols.Teams[i].Trust.Statement[j].Condition = nil
		}
	}
	ids, nbs := iamcheck.Synthesize(m)
	r, err := iamcheck.CheckPolicies(m, pols, ids, nbs, brokerOpts)
	if err != nil {
		t.Fatal(err)
	}
	holes := strings.Join(r.TrustHoles, "\n")
	for _, want := range []string{
		"team fraud: the trust policy admits an AssumeRole without a SourceIdentity",
		"team fraud: the trust policy admits an AssumeRole with team tag marketing",
		"team marketing: the trust policy admits an AssumeRole with a tag key the mapping does not name",
		"team fraud: the trust policy admits an AssumeRole with session tag cost-center set to another value",
	} {
		if !strings.Contains(holes, want) {
			t.Errorf("trust holes lack %q:\n%s", want, holes)
		}
	}
	if strings.Contains(holes, "principal other than the broker") {
		t.Errorf("the trust policy still names only the broker, yet a stranger got in:\n%s", holes)
	}
	if r.OK() {
		t.Fatal("trust policies without conditions passed the check")
	}
}
