package awsemu

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/internal/testutil"
)

func TestParseSeedDefaults(t *testing.T) {
	s, err := ParseSeed([]byte(`
credentials:
  - {access_key_id: AKIAEXAMPLEBROKER01, secret_access_key: example-secret-0000000, principal: "arn:aws:iam::123456789012:user/b"}
roles:
  - arn: arn:aws:iam::123456789012:role/path/team-x
    trust_policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/b"},"Action":"sts:AssumeRole"}]}'
notebooks:
  - name: nb-1
`))
	if err != nil {
		t.Fatalf("ParseSeed: %v", err)
	}
	nb := s.Notebooks[0]
	if s.Region != "us-east-1" || s.AccountID != "123456789012" || s.Roles[0].MaxSessionDuration != 3600 ||
		nb.Status != "InService" || nb.InstanceType != "ml.t3.medium" || nb.DirectInternetAccess != "Enabled" {
		t.Errorf("defaults not applied: %+v", s)
	}
}

func TestParseSeedErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every one must appear in the error
	}{
		{"unknown key", "regoin: us-east-1\n", []string{"field regoin not found"}},
		{"bad region and account", "region: mars\naccount_id: '12'\n", []string{"region \"mars\"", "account_id \"12\""}},
		{"credential problems reported together", `
credentials:
  - {access_key_id: short, secret_access_key: x, principal: nobody}
  - {access_key_id: ASIAEXAMPLE0000001, secret_access_key: example-secret-0000000, principal: "arn:aws:iam::123456789012:user/b"}
`, []string{"credentials[0].access_key_id", "credentials[0].secret_access_key", "credentials[0].principal", "credentials[1].access_key_id \"ASIAEXAMPLE0000001\": the ASIA prefix"}},
		{"duplicate key", `
credentials:
  - {access_key_id: AKIAEXAMPLEBROKER01, secret_access_key: example-secret-0000000, principal: "arn:aws:iam::123456789012:user/b"}
  - {access_key_id: AKIAEXAMPLEBROKER01, secret_access_key: example-secret-0000000, principal: "arn:aws:iam::123456789012:user/c"}
`, []string{"credentials[1].access_key_id \"AKIAEXAMPLEBROKER01\": duplicate"}},
		{"role problems", `
roles:
  - {arn: "arn:aws:iam::123456789012:user/not-a-role", max_session_duration: 60}
  - arn: "arn:aws:iam::123456789012:role/bad-docs"
    trust_policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"sts:AssumeRole"}]}'
    policies:
      good: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:ListTags","Resource":"*"}]}'
      broken: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:ListTags","Resource":"*","Condition":{"NoSuchOperator":{"a":"b"}}}]}'
`, []string{"roles[0].arn", "roles[0].max_session_duration 60",
			"roles[0] (arn:aws:iam::123456789012:user/not-a-role).trust_policy: required",
			"roles[1] (arn:aws:iam::123456789012:role/bad-docs).trust_policy",
			`roles[1] (arn:aws:iam::123456789012:role/bad-docs).policies: policy "broken"`}},
		{"credential policy problems", `
credentials:
  - access_key_id: AKIAEXAMPLEBROKER01
    secret_access_key: example-secret-0000000
    principal: "arn:aws:iam::123456789012:user/b"
    policies: {mine: 'not json'}
`, []string{`credentials[0] (arn:aws:iam::123456789012:user/b).policies: policy "mine"`}},
		{"notebook problems", `
notebooks:
  - {name: bad_name, status: Sleeping, instance_type: t3, root_access: maybe, tags: {"bad;key": v}}
  - {name: ok}
  - {name: OK}
`, []string{"notebooks[0].name", "notebooks[0].status", "notebooks[0].instance_type", "notebooks[0].root_access", `notebooks[0].tags["bad;key"]`, "notebooks[2].name \"OK\": duplicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSeed([]byte(tt.yaml))
			if err == nil {
				t.Fatal("ParseSeed succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestShippedSeeds keeps the example and dev-stack seeds loadable.
func TestShippedSeeds(t *testing.T) {
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{root + "/configs/awsemu.example.yaml", root + "/configs/dev/aws.yaml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := LoadSeed(path)
			if err != nil {
				t.Fatalf("LoadSeed: %v", err)
			}
			if _, err := New(s); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func TestLoadSeedMissingFile(t *testing.T) {
	if _, err := LoadSeed(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
		t.Error("LoadSeed of a missing file succeeded")
	}
}
