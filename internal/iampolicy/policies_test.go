package iampolicy_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iampolicy"
)

const broker = "arn:aws:iam::999988887777:role/secds-broker"

// doc is a policy as AWS reads it: the generated JSON parsed back.
type doc struct {
	Version   string
	Statement []stmt
}

type stmt struct {
	Sid       string
	Effect    string
	Principal map[string]string
	Action    []string
	Resource  []string
	Condition map[string]map[string]any
}

func (d doc) sid(t *testing.T, sid string) stmt {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s in %+v", sid, d)
	return stmt{}
}

// actions lists every action an Allow statement grants.
func (d doc) actions(effect string) []string {
	var out []string
	for _, s := range d.Statement {
		if s.Effect == effect {
			out = append(out, s.Action...)
		}
	}
	slices.Sort(out)
	return out
}

func generate(t *testing.T, file string, data []byte, team string, opts iampolicy.Options) (trust, perms doc) {
	t.Helper()
	m, err := abac.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := iampolicy.ForMapping(m, team, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Trust doc `json:"trust_policy"`
		Perms doc `json:"permission_policy"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("generated JSON does not parse: %v\n%s", err, b)
	}
	return back.Trust, back.Perms
}

func equalAny(got any, want ...string) bool {
	switch v := got.(type) {
	case string:
		return len(want) == 1 && v == want[0]
	case []any:
		if len(v) != len(want) {
			return false
		}
		for i := range v {
			if v[i] != want[i] {
				return false
			}
		}
		return true
	}
	return false
}

func exampleTeams(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../configs/teams.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrustPolicy(t *testing.T) {
	trust, _ := generate(t, "teams.example.yaml", exampleTeams(t), "fraud", iampolicy.Options{BrokerPrincipal: broker})
	if trust.Version != "2012-10-17" || len(trust.Statement) != 1 {
		t.Fatalf("trust = %+v", trust)
	}
	if trust, _ = generate(t, "teams.yaml", configs.DevTeams, "fraud", iampolicy.Options{BrokerPrincipal: broker}); !equalAny(trust.Statement[0].Condition["Null"]["sts:TransitiveTagKeys"], "true") {
		t.Errorf("a team without transitive tag keys must refuse them: %+v", trust.Statement[0].Condition)
	}
	trust, _ = generate(t, "teams.example.yaml", exampleTeams(t), "fraud", iampolicy.Options{BrokerPrincipal: broker})
	if len(trust.Statement) != 1 {
		t.Fatalf("trust = %+v", trust)
	}
	s := trust.Statement[0]
	if s.Effect != "Allow" || s.Principal["AWS"] != broker || len(s.Resource) != 0 {
		t.Errorf("statement = %+v, want the broker as the only principal", s)
	}
	if got := strings.Join(s.Action, ","); got != "sts:AssumeRole,sts:SetSourceIdentity,sts:TagSession" {
		t.Errorf("actions = %s", got)
	}
	checks := []struct {
		op, key string
		want    []string
	}{
		{"StringEquals", "aws:RequestTag/team", []string{"fraud"}},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"team", "user", "cost-center", "department"}},
		{"Null", "sts:SourceIdentity", []string{"false"}},
		{"Null", "aws:RequestTag/user", []string{"false"}},
		{"ForAllValues:StringEquals", "sts:TransitiveTagKeys", []string{"team"}},
	}
	for _, c := range checks {
		if got := s.Condition[c.op][c.key]; !equalAny(got, c.want...) {
			t.Errorf("%s %s = %v, want %v", c.op, c.key, got, c.want)
		}
	}
}

func TestPermissionPolicy(t *testing.T) {
	_, perms := generate(t, "teams.yaml", configs.DevTeams, "marketing", iampolicy.Options{BrokerPrincipal: broker})
	if perms.Version != "2012-10-17" {
		t.Errorf("version = %q", perms.Version)
	}
	presign := perms.sid(t, "PresignOwnTeamNotebooks")
	if presign.Effect != "Allow" || !equalAny(presign.Condition["StringEquals"]["sagemaker:ResourceTag/team"], "${aws:PrincipalTag/team}") {
		t.Errorf("presign = %+v, want it limited to the session's team tag", presign)
	}
	if !slices.Equal(presign.Resource, []string{"arn:aws:sagemaker:*:123456789012:notebook-instance/*"}) {
		t.Errorf("presign resource = %v, want the role's account", presign.Resource)
	}
	deny := perms.sid(t, "DenyOtherTeamsNotebooks")
	if deny.Effect != "Deny" || !equalAny(deny.Condition["StringNotEquals"]["sagemaker:ResourceTag/team"], "${aws:PrincipalTag/team}") {
		t.Errorf("deny = %+v", deny)
	}
	want := []string{"sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:DescribeNotebookInstance", "sagemaker:ListNotebookInstances", "sagemaker:ListTags"}
	if got := perms.actions("Allow"); !slices.Equal(got, want) {
		t.Errorf("allowed actions = %v, want exactly %v (no Studio for a team without it)", got, want)
	}
	if d := perms.sid(t, "DescribeOwnTeamNotebooks"); !equalAny(d.Condition["StringEquals"]["sagemaker:ResourceTag/team"], "${aws:PrincipalTag/team}") {
		t.Errorf("describe = %+v", d)
	}
}

func TestPins(t *testing.T) {
	tests := []struct {
		name      string
		opts      iampolicy.Options
		op, key   string
		wantValue []string
	}{
		{"VPC endpoint", iampolicy.Options{SourceVPCEs: []string{"vpce-0123456789abcdef0"}}, "StringEquals", "aws:SourceVpce", []string{"vpce-0123456789abcdef0"}},
		{"source IP", iampolicy.Options{SourceIPs: []string{"203.0.113.0/24", "198.51.100.7/32"}}, "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24", "198.51.100.7/32"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.BrokerPrincipal = broker
			_, perms := generate(t, "teams.yaml", configs.DevTeams, "fraud", tc.opts)
			for _, s := range perms.Statement {
				got := s.Condition[tc.op][tc.key]
				if s.Effect == "Allow" && !equalAny(got, tc.wantValue...) {
					t.Errorf("%s: %s %s = %v, want %v", s.Sid, tc.op, tc.key, got, tc.wantValue)
				}
				if s.Effect == "Deny" && got != nil {
					t.Errorf("%s: a deny must not be narrowed by the pin", s.Sid)
				}
			}
		})
	}
}

func TestStudioStatements(t *testing.T) {
	mapping := `version: 1
teams:
  - name: research
    match: [{groups: [ds-research]}]
    role_arn: arn:aws-us-gov:iam::123456789012:role/teams/secds-research
    studio:
      domain_id: d-abcdef123456
      user_profile: "{{.Username}}"
`
	// Only teams with Studio settings, or all with Options.Studio.
	if _, perms := generate(t, "teams.example.yaml", exampleTeams(t), "marketing", iampolicy.Options{BrokerPrincipal: broker}); !slices.Contains(perms.actions("Allow"), "sagemaker:CreatePresignedDomainUrl") {
		t.Error("the example's marketing team has studio settings but no Studio statement")
	}
	if _, perms := generate(t, "teams.yaml", configs.DevTeams, "fraud", iampolicy.Options{BrokerPrincipal: broker, Studio: true}); !slices.Contains(perms.actions("Allow"), "sagemaker:CreatePresignedDomainUrl") {
		t.Error("Options.Studio did not add the Studio statement")
	}
	_, perms := generate(t, "t.yaml", []byte(mapping), "research", iampolicy.Options{BrokerPrincipal: broker})
	s := perms.sid(t, "PresignOwnTeamStudio")
	if !slices.Equal(s.Resource, []string{"arn:aws-us-gov:sagemaker:*:123456789012:user-profile/d-abcdef123456/*"}) {
		t.Errorf("studio resource = %v, want the partition, account and domain", s.Resource)
	}
	if !slices.Contains(s.Action, "sagemaker:CreatePresignedDomainUrl") {
		t.Errorf("studio actions = %v", s.Action)
	}
	perms.sid(t, "DenyOtherTeamsStudio")

	m, _ := abac.Parse("t.yaml", []byte(mapping))
	ps, _ := iampolicy.ForMapping(m, "", iampolicy.Options{BrokerPrincipal: broker})
	if ps[0].RoleName != "secds-research" {
		t.Errorf("role name = %q, want the name without its path", ps[0].RoleName)
	}
}

func TestAllTeams(t *testing.T) {
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := iampolicy.ForMapping(m, "", iampolicy.Options{BrokerPrincipal: broker})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Team+"="+p.RoleName)
	}
	if got := strings.Join(names, ","); got != "fraud=secds-team-fraud,marketing=secds-team-marketing,platform=secds-team-platform" {
		t.Errorf("teams = %s", got)
	}
}

func TestRefusals(t *testing.T) {
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		team string
		opts iampolicy.Options
		want string
	}{
		{"no broker principal", "", iampolicy.Options{}, "not an IAM role or user ARN"},
		{"a bucket is no principal", "", iampolicy.Options{BrokerPrincipal: "arn:aws:s3:::bucket"}, "not an IAM role or user ARN"},
		{"both pins", "", iampolicy.Options{BrokerPrincipal: broker, SourceVPCEs: []string{"vpce-0123456789abcdef0"}, SourceIPs: []string{"203.0.113.0/24"}}, "not both"},
		{"bad endpoint", "", iampolicy.Options{BrokerPrincipal: broker, SourceVPCEs: []string{"vpc-123"}}, "not a VPC endpoint"},
		{"bad CIDR", "", iampolicy.Options{BrokerPrincipal: broker, SourceIPs: []string{"10.0.0.1"}}, "not a CIDR"},
		{"unknown team", "nope", iampolicy.Options{BrokerPrincipal: broker}, `no team "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iampolicy.ForMapping(m, tc.team, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
