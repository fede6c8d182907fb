package api_test

import (
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

func TestComplianceSummary(t *testing.T) {
	unmet := []abac.Unmet{{Requirement: "root_access", Actual: "Enabled"}, {Requirement: "kms_key", Actual: "none"}}
	for _, c := range []struct {
		c    *api.Compliance
		want string
	}{
		{nil, ""},
		{&api.Compliance{Mode: "enforce", Compliant: true}, "compliant"},
		{&api.Compliance{Mode: "enforce", Unmet: unmet}, "not compliant (will be refused): root_access=Enabled, kms_key=none"},
		{&api.Compliance{Mode: "warn", Unmet: unmet[:1]}, "not compliant (warned): root_access=Enabled"},
		{&api.Compliance{Mode: "warn", Unknown: "AWS refused"}, "unknown: AWS refused"},
	} {
		if got := c.c.Summary(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.c, got, c.want)
		}
	}
}
