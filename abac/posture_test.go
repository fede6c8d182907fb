package abac_test

import (
	"strings"
	"testing"

	"github.com/secds/secds/abac"
)

const postureMapping = `version: 1
defaults:
  require:
    direct_internet_access: Disabled
    root_access: Disabled
    kms_key: required
    subnets: [subnet-0123456789abcdef0, subnet-89abcdef]
    security_groups: [sg-0123456789abcdef0]
    instance_types: [ml.t3.*, ml.m5.xlarge]
    execution_roles: ["arn:aws:iam::123456789012:role/sagemaker-*"]
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud
  - name: research
    match: [{groups: [research]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-research
    require:
      mode: warn
      root_access: any
      kms_key: [arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab]
  - name: legacy
    match: [{groups: [legacy]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-legacy
    require: {direct_internet_access: any, root_access: any, kms_key: any, subnets: any, security_groups: any, instance_types: any, execution_roles: any}
`

func grantOf(t *testing.T, m *abac.Mapping, team string) abac.Grant {
	t.Helper()
	g, err := m.GrantFor(team, abac.Identity{Subject: "s", Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var compliant = abac.NotebookFacts{
	DirectInternetAccess: "Disabled", RootAccess: "Disabled",
	KMSKeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", SubnetID: "subnet-0123456789abcdef0",
	SecurityGroups: []string{"sg-0123456789abcdef0"}, InstanceType: "ml.t3.medium",
	RoleARN: "arn:aws:iam::123456789012:role/sagemaker-fraud",
}

// Every requirement, missed alone, is reported alone, in its own words.
func TestPostureEachRequirement(t *testing.T) {
	m, err := abac.Parse("teams.yaml", []byte(postureMapping))
	if err != nil {
		t.Fatal(err)
	}
	p := grantOf(t, m, "fraud").Posture
	if !p.Enforced() {
		t.Fatalf("fraud's posture = %+v, want enforced defaults", p)
	}
	if u := p.CheckNotebook(compliant); len(u) != 0 {
		t.Fatalf("a compliant notebook misses %v", u)
	}
	for _, c := range []struct {
		req, words string
		change     func(*abac.NotebookFacts)
	}{
		{"direct_internet_access", "can reach the internet (DirectInternetAccess=Enabled)", func(f *abac.NotebookFacts) { f.DirectInternetAccess = "Enabled" }},
		{"root_access", "root access", func(f *abac.NotebookFacts) { f.RootAccess = "Enabled" }},
		{"kms_key", "not encrypted with a customer-managed KMS key", func(f *abac.NotebookFacts) { f.KMSKeyID = "" }},
		{"subnets", "subnet subnet-0fedcba987654321f, which is not one of your team's subnets", func(f *abac.NotebookFacts) { f.SubnetID = "subnet-0fedcba987654321f" }},
		{"subnets", "not in a VPC subnet", func(f *abac.NotebookFacts) { f.SubnetID = "" }},
		{"security_groups", "security group sg-0fedcba987654321f is not one of your team's", func(f *abac.NotebookFacts) {
			f.SecurityGroups = []string{"sg-0123456789abcdef0", "sg-0fedcba987654321f"}
		}},
		{"instance_types", "instance type ml.p4d.24xlarge", func(f *abac.NotebookFacts) { f.InstanceType = "ml.p4d.24xlarge" }},
		{"execution_roles", "runs as role arn:aws:iam::123456789012:role/admin", func(f *abac.NotebookFacts) { f.RoleARN = "arn:aws:iam::123456789012:role/admin" }},
	} {
		f := compliant
		f.SecurityGroups = append([]string(nil), compliant.SecurityGroups...)
		c.change(&f)
		u := p.CheckNotebook(f)
		if len(u) != 1 || u[0].Requirement != c.req || !strings.Contains(u[0].Message, c.words) || !strings.Contains(u[0].Message, "ask your platform team") {
			t.Errorf("%s missed: %+v", c.req, u)
		}
	}
}

// A team's block overrides the defaults field by field; any lifts one.
func TestPostureTeamOverridesDefaults(t *testing.T) {
	m, err := abac.Parse("teams.yaml", []byte(postureMapping))
	if err != nil {
		t.Fatal(err)
	}
	r := grantOf(t, m, "research").Posture
	if r.Enforced() || r.Mode != abac.PostureWarn || r.NoRoot || !r.NoDirectInternet || len(r.Subnets) != 2 {
		t.Errorf("research = %+v, want warn, root allowed, the default subnets and internet rule", r)
	}
	f := compliant
	f.RootAccess = "Enabled"
	f.KMSKeyID = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" // the same key as an ARN
	if u := r.CheckNotebook(f); len(u) != 0 {
		t.Errorf("research: %v", u)
	}
	f.KMSKeyID = "0000abcd-12ab-34cd-56ef-1234567890ab"
	if u := r.CheckNotebook(f); len(u) != 1 || u[0].Requirement != "kms_key" || u[0].Actual != f.KMSKeyID {
		t.Errorf("another key: %v", u)
	}
	if p := grantOf(t, m, "legacy").Posture; p != nil {
		t.Errorf("legacy lifted every requirement, got %+v", p)
	}
}

// Impossible or contradictory requirements are reported with file:line
// like every other mistake, all in one pass.
func TestPostureValidation(t *testing.T) {
	bad := `version: 1
defaults:
  require:
    mode: enforced
    direct_internet_access: Enabled
    kms_key: [alias/team]
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud
    require:
      subnets: []
      security_groups: sg-1
      instance_types: [p4d]
      execution_roles: [arn:aws:iam::123456789012:role/ok, arn:aws:iam::123456789012:role/ok]
      studio: {app_network_access: PublicInternetOnly, kms_key: {a: b}}
  - name: quiet
    match: [{groups: [q]}]
    role_arn: arn:aws:iam::123456789012:role/q
    require: {mode: warn, direct_internet_access: any, kms_key: any}
`
	_, err := abac.Parse("teams.yaml", []byte(bad))
	ps, ok := err.(abac.Problems)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		`teams.yaml:4:11: require.mode "enforced" must be enforce or warn`,
		`teams.yaml:5:29: require.direct_internet_access "Enabled" must be Disabled`,
		`teams.yaml:6:15: require.kms_key[0] "alias/team" is not a KMS key ARN`,
		`teams.yaml:12:16: require.subnets is an empty list: no notebook could comply`,
		`teams.yaml:13:24: require.security_groups "sg-1" must be any or a list`,
		`teams.yaml:14:24: require.instance_types[0] "p4d" is not a SageMaker instance type`,
		`teams.yaml:15:60: require.execution_roles[1] "arn:aws:iam::123456789012:role/ok" is listed twice`,
		`teams.yaml:16:36: require.studio.app_network_access "PublicInternetOnly" must be VpcOnly`,
		`teams.yaml:16:65: require.studio.kms_key is a mapping`,
		`teams.yaml:20:21: team "quiet" sets require.mode warn but has no requirement`,
	} {
		if !strings.Contains(ps.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, ps.Error())
		}
	}
}
