package iamcheck_test

import (
	"context"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/iamcheck"
	"github.com/secds/secds/internal/iameval/iamsim"
	"github.com/secds/secds/internal/iampolicy"
)

// Every IAM request of the shipped mappings' matrices gets the same decision
// from the independent evaluator, @cloud-copilot/iam-simulate, as from ours:
// the check's verdicts do not rest on our evaluator alone. The pinned run
// adds the network conditions.
func TestMatrixAgreesWithIAMSimulate(t *testing.T) {
	tool := iamsim.Require(t)
	pinned := iamcheck.Options{Policy: iampolicy.Options{
		BrokerPrincipal: "arn:aws:iam::123456789012:role/secds-broker",
		SourceVPCEs:     []string{"vpce-0a1b2c3d4e5f67890"},
		UserIPs:         []string{"198.51.100.0/24"},
	}}
	for _, tc := range []struct {
		name string
		m    func(*testing.T) *abac.Mapping
		opts iamcheck.Options
	}{
		{"example", exampleMapping, brokerOpts},
		{"dev", func(t *testing.T) *abac.Mapping { return mapping(t, "teams.yaml", configs.DevTeams) }, brokerOpts},
		{"dev-pinned", func(t *testing.T) *abac.Mapping { return mapping(t, "teams.yaml", configs.DevTeams) }, pinned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, tc.m(t), tc.opts)
			cases := make([]iamsim.Case, len(r.Cases))
			for i, c := range r.Cases {
				cases[i] = iamsim.Case{Request: c.Request, Policies: c.Policies}
			}
			got, err := tool.Decide(context.Background(), cases)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for i, c := range r.Cases {
				counts[c.Decision.String()]++
				if got[i] != c.Decision {
					t.Errorf("%s %s on %s: ours %s, iam-simulate %s\ncontext %v", c.Request.Principal, c.Request.Action, c.Request.Resource, c.Decision, got[i], c.Request.Context)
				}
			}
			t.Logf("%d requests: %v", len(r.Cases), counts)
			if counts["Allow"] == 0 || counts["ExplicitDeny"]+counts["ImplicitDeny"] == 0 {
				t.Fatalf("the matrix does not exercise both outcomes: %v", counts)
			}
		})
	}
}
