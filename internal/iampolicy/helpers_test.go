package iampolicy_test

import (
	"encoding/json"
	"os"
	"slices"
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
	Sid         string
	Effect      string
	Principal   map[string]string
	Action      []string
	Resource    []string
	NotResource []string
	Condition   map[string]map[string]any
}

// policies is Policies as printed, parsed back.
type policies struct {
	Broker struct {
		Principal string
		Policy    doc
	}
	Teams []struct {
		Team       string
		RoleARN    string   `json:"role_arn"`
		RoleName   string   `json:"role_name"`
		Trust      doc      `json:"trust_policy"`
		Perms      doc      `json:"permission_policy"`
		BrokerOnly []string `json:"broker_only"`
	}
	Notes []string
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

func (d doc) has(sid string) bool {
	return slices.ContainsFunc(d.Statement, func(s stmt) bool { return s.Sid == sid })
}

func (d doc) sids() []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Sid)
	}
	return out
}

// actions lists every action the statements of one effect name.
func (d doc) actions(effect string) []string {
	var out []string
	for _, s := range d.Statement {
		if s.Effect == effect {
			out = append(out, s.Action...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func parseMapping(t *testing.T, name string, data []byte) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func exampleMapping(t *testing.T) *abac.Mapping {
	t.Helper()
	b, err := os.ReadFile("../../configs/teams.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return parseMapping(t, "teams.example.yaml", b)
}

func devMapping(t *testing.T) *abac.Mapping { return devMappingTB(t) }

func devMappingTB(t testing.TB) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// generate runs Generate and parses its JSON back, as an admin's aws CLI
// would read it.
func generate(t *testing.T, m *abac.Mapping, team string, opts iampolicy.Options) policies {
	t.Helper()
	if opts.BrokerPrincipal == "" {
		opts.BrokerPrincipal = broker
	}
	p, err := iampolicy.Generate(m, team, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back policies
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("generated JSON does not parse: %v\n%s", err, b)
	}
	return back
}

// equalAny reports whether a parsed condition value is exactly want: one
// string, or a list of them in this order.
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
