package abac

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Posture modes.
const (
	// PostureEnforce refuses a notebook that misses a requirement.
	PostureEnforce = "enforce"
	// PostureWarn opens it and records what it misses.
	PostureWarn = "warn"
)

// Requirements is a `require` block: what a notebook instance (and a
// Studio domain) must be before the broker opens it, from the
// secure-data-science baseline (no direct internet access, no root, a
// customer-managed KMS key, the platform's subnets, security groups,
// instance types and execution roles). defaults.require applies to every
// team; a team's own block overrides it field by field, and `any` lifts a
// default for that team.
type Requirements struct {
	// Mode is enforce (the default) or warn.
	Mode string `yaml:"mode"`
	// DirectInternetAccess: Disabled, or any.
	DirectInternetAccess string `yaml:"direct_internet_access"`
	// RootAccess: Disabled, or any.
	RootAccess string `yaml:"root_access"`
	// KMSKey: required (any customer-managed key), a list of key ARNs or
	// key IDs, or any.
	KMSKey Allowance `yaml:"kms_key"`
	// Subnets, SecurityGroups: lists of IDs (subnet-…, sg-…), or any. A
	// notebook complies when its subnet, and every one of its security
	// groups, is listed.
	Subnets        Allowance `yaml:"subnets"`
	SecurityGroups Allowance `yaml:"security_groups"`
	// InstanceTypes: patterns such as ml.t3.* (* and ?), or any.
	InstanceTypes Allowance `yaml:"instance_types"`
	// ExecutionRoles: role ARN patterns (* and ?), or any.
	ExecutionRoles Allowance `yaml:"execution_roles"`
	// Studio: what a Studio domain must be.
	Studio *StudioRequirements `yaml:"studio"`
}

// StudioRequirements is what a SageMaker Studio domain must be.
type StudioRequirements struct {
	// AppNetworkAccess: VpcOnly, or any.
	AppNetworkAccess string `yaml:"app_network_access"`
	// KMSKey: as for notebooks, on the domain's storage.
	KMSKey Allowance `yaml:"kms_key"`
}

// Allowance is a requirement that is a word (any; required for kms_key) or
// a list. Unset, it inherits the default.
type Allowance struct {
	set  bool
	word string
	list []string
	bad  string // what the YAML held when it was neither a word nor a list of strings
}

// UnmarshalYAML takes a scalar or a list of scalars; anything else is
// reported by validation with its position.
func (a *Allowance) UnmarshalYAML(n *yaml.Node) error {
	a.set = true
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			a.bad = "nothing"
			return nil
		}
		a.word = n.Value
	case yaml.SequenceNode:
		a.list = []string{}
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				a.bad = "a list with something other than text in it"
				return nil
			}
			a.list = append(a.list, c.Value)
		}
	default:
		a.bad = "a mapping"
	}
	return nil
}

// Posture is a team's resolved requirements, the defaults applied: what
// the broker checks a notebook's description against. nil: none.
type Posture struct {
	Mode                 string   `json:"mode"`
	NoDirectInternet     bool     `json:"direct_internet_access_disabled,omitempty"`
	NoRoot               bool     `json:"root_access_disabled,omitempty"`
	KMSRequired          bool     `json:"kms_key_required,omitempty"`
	KMSKeys              []string `json:"kms_keys,omitempty"`
	Subnets              []string `json:"subnets,omitempty"`
	SecurityGroups       []string `json:"security_groups,omitempty"`
	InstanceTypes        []string `json:"instance_types,omitempty"`
	ExecutionRoles       []string `json:"execution_roles,omitempty"`
	StudioVpcOnly        bool     `json:"studio_vpc_only,omitempty"`
	StudioKMSRequired    bool     `json:"studio_kms_key_required,omitempty"`
	StudioKMSKeys        []string `json:"studio_kms_keys,omitempty"`
	NotebookRequirements bool     `json:"-"` // any notebook requirement at all
}

// Enforced reports whether a notebook that misses a requirement is refused.
func (p *Posture) Enforced() bool { return p != nil && p.Mode == PostureEnforce }

// NotebookFacts is what DescribeNotebookInstance says about the settings a
// posture checks.
type NotebookFacts struct {
	DirectInternetAccess string // Enabled or Disabled
	RootAccess           string // Enabled or Disabled
	KMSKeyID             string // "" when the volume uses an AWS-owned key
	SubnetID             string // "" when the notebook is not in a VPC
	SecurityGroups       []string
	InstanceType         string
	RoleARN              string
}

// DomainFacts is what DescribeDomain says about a Studio domain.
type DomainFacts struct {
	AppNetworkAccessType string // PublicInternetOnly or VpcOnly
	KMSKeyID             string
}

// Unmet is one requirement a notebook or domain misses.
type Unmet struct {
	// Requirement is the mapping key, e.g. direct_internet_access.
	Requirement string `json:"requirement"`
	// Actual is what the notebook has, as AWS says it.
	Actual string `json:"actual"`
	// Message says it in plain words, with what to ask for.
	Message string `json:"message"`
}

// String is the requirement and what the notebook has, for audit events.
func (u Unmet) String() string { return u.Requirement + "=" + u.Actual }

// CheckNotebook returns the requirements f misses, in a fixed order.
func (p *Posture) CheckNotebook(f NotebookFacts) []Unmet {
	if p == nil {
		return nil
	}
	var out []Unmet
	add := func(req, actual, msg string) { out = append(out, Unmet{req, actual, msg}) }
	if p.NoDirectInternet && f.DirectInternetAccess != "Disabled" {
		add("direct_internet_access", orNone(f.DirectInternetAccess),
			fmt.Sprintf("this notebook can reach the internet (DirectInternetAccess=%s); ask your platform team to recreate it in a private subnet without direct internet access", orNone(f.DirectInternetAccess)))
	}
	if p.NoRoot && f.RootAccess != "Disabled" {
		add("root_access", orNone(f.RootAccess),
			fmt.Sprintf("users get root access on this notebook (RootAccess=%s); ask your platform team to turn root access off", orNone(f.RootAccess)))
	}
	switch {
	case (p.KMSRequired || len(p.KMSKeys) > 0) && f.KMSKeyID == "":
		add("kms_key", "none", "its storage volume is not encrypted with a customer-managed KMS key; ask your platform team to recreate it with your team's key")
	case len(p.KMSKeys) > 0 && !kmsKeyListed(p.KMSKeys, f.KMSKeyID):
		add("kms_key", f.KMSKeyID, fmt.Sprintf("its storage volume is encrypted with KMS key %s, which is not one of your team's keys; ask your platform team to recreate it with one of them", f.KMSKeyID))
	}
	if p.Subnets != nil {
		switch {
		case f.SubnetID == "":
			add("subnets", "none", "it is not in a VPC subnet; ask your platform team to recreate it in one of your team's private subnets")
		case !slices.Contains(p.Subnets, f.SubnetID):
			add("subnets", f.SubnetID, fmt.Sprintf("it is in subnet %s, which is not one of your team's subnets; ask your platform team to recreate it in one of them", f.SubnetID))
		}
	}
	if p.SecurityGroups != nil {
		var other []string
		for _, sg := range f.SecurityGroups {
			if !slices.Contains(p.SecurityGroups, sg) {
				other = append(other, sg)
			}
		}
		switch {
		case len(f.SecurityGroups) == 0:
			add("security_groups", "none", "it has no security group; ask your platform team to recreate it with your team's security groups")
		case len(other) > 0:
			add("security_groups", strings.Join(other, ","), fmt.Sprintf("its security group %s is not one of your team's; ask your platform team to change it", strings.Join(other, ", ")))
		}
	}
	if p.InstanceTypes != nil && !anyGlob(p.InstanceTypes, f.InstanceType) {
		add("instance_types", orNone(f.InstanceType), fmt.Sprintf("its instance type %s is not one your team may use; ask your platform team for an allowed type", orNone(f.InstanceType)))
	}
	if p.ExecutionRoles != nil && !anyGlob(p.ExecutionRoles, f.RoleARN) {
		add("execution_roles", orNone(f.RoleARN), fmt.Sprintf("it runs as role %s, which is not one of your team's execution roles; ask your platform team to change it", orNone(f.RoleARN)))
	}
	return out
}

// CheckDomain returns the Studio requirements d misses.
func (p *Posture) CheckDomain(d DomainFacts) []Unmet {
	if p == nil {
		return nil
	}
	var out []Unmet
	if p.StudioVpcOnly && d.AppNetworkAccessType != "VpcOnly" {
		out = append(out, Unmet{"studio.app_network_access", orNone(d.AppNetworkAccessType),
			fmt.Sprintf("this Studio domain's apps reach the internet directly (AppNetworkAccessType=%s); ask your platform team to set the domain to VpcOnly", orNone(d.AppNetworkAccessType))})
	}
	switch {
	case (p.StudioKMSRequired || len(p.StudioKMSKeys) > 0) && d.KMSKeyID == "":
		out = append(out, Unmet{"studio.kms_key", "none", "this Studio domain's storage is not encrypted with a customer-managed KMS key; ask your platform team to set one"})
	case len(p.StudioKMSKeys) > 0 && !kmsKeyListed(p.StudioKMSKeys, d.KMSKeyID):
		out = append(out, Unmet{"studio.kms_key", d.KMSKeyID, fmt.Sprintf("this Studio domain's storage is encrypted with KMS key %s, which is not one of your team's keys", d.KMSKeyID)})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// kmsKeyListed matches a key as SageMaker reports it (a key ID or a key
// ARN, as given when the notebook was made) against the allowed keys: equal,
// or the same key ID when one side is an ARN.
func kmsKeyListed(allowed []string, key string) bool {
	id := kmsKeyID(key)
	for _, a := range allowed {
		if strings.EqualFold(a, key) || (id != "" && strings.EqualFold(kmsKeyID(a), id)) {
			return true
		}
	}
	return false
}

// kmsKeyID is the key ID of a key ARN or key ID; "" for anything else (an
// alias names a key only until it is moved).
func kmsKeyID(s string) string {
	if m := kmsKeyARNRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if kmsKeyIDRE.MatchString(s) {
		return s
	}
	return ""
}

var (
	kmsKeyIDRE      = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})$`)
	kmsKeyARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/([0-9a-fA-F-]{36}|mrk-[0-9a-fA-F]{32})$`)
	subnetIDRE      = regexp.MustCompile(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	securityGroupRE = regexp.MustCompile(`^sg-[0-9a-f]{8}([0-9a-f]{9})?$`)
	instanceTypeRE  = regexp.MustCompile(`^ml\.[a-z0-9.*?-]+$`)
	roleARNGlobRE   = regexp.MustCompile(`^arn:aws[a-z*?-]*:iam::[\d*?]{1,12}:role/[\w+=,.@/*?-]{1,512}$`)
)

// requirements validates the defaults' and teams' require blocks and resolves
// each team's posture; it runs after the teams are validated.
func (v *validator) requirements(m *Mapping) {
	if m.Defaults.Require != nil {
		v.requireBlock(m.Defaults.Require, "defaults", "require")
	}
	anyPosture := false
	for i := range m.Teams {
		t := &m.Teams[i]
		if t.Require != nil {
			v.requireBlock(t.Require, "teams", i, "require")
		}
		t.posture = resolvePosture(m.Defaults.Require, t.Require)
		anyPosture = anyPosture || t.posture != nil
		if t.Require != nil && t.Require.Mode != "" && t.posture == nil {
			v.at(fmt.Sprintf("team %q sets require.mode %s but has no requirement (here or in defaults.require): there is nothing to %s", t.Name, t.Require.Mode, t.Require.Mode), "teams", i, "require", "mode")
		}
	}
	if d := m.Defaults.Require; d != nil && d.Mode != "" && !anyPosture {
		v.at(fmt.Sprintf("defaults.require.mode is %s but no team has a requirement: there is nothing to %s", d.Mode, d.Mode), "defaults", "require", "mode")
	}
}

func (v *validator) requireBlock(r *Requirements, path ...any) {
	at := func(msg string, rest ...any) { v.at(msg, append(slices.Clone(path), rest...)...) }
	if r.Mode != "" && r.Mode != PostureEnforce && r.Mode != PostureWarn {
		at(fmt.Sprintf("require.mode %q must be enforce or warn", r.Mode), "mode")
	}
	for _, f := range []struct{ key, val string }{{"direct_internet_access", r.DirectInternetAccess}, {"root_access", r.RootAccess}} {
		if f.val != "" && f.val != "Disabled" && f.val != "any" {
			at(fmt.Sprintf("require.%s %q must be Disabled (the baseline) or any (no requirement)", f.key, f.val), f.key)
		}
	}
	v.kmsAllowance(r.KMSKey, "kms_key", path)
	v.listAllowance(r.Subnets, "subnets", "a subnet ID (subnet- and 8 or 17 hex digits)", subnetIDRE, path)
	v.listAllowance(r.SecurityGroups, "security_groups", "a security group ID (sg- and 8 or 17 hex digits)", securityGroupRE, path)
	v.listAllowance(r.InstanceTypes, "instance_types", "a SageMaker instance type or pattern (ml.t3.medium, ml.t3.*)", instanceTypeRE, path)
	v.listAllowance(r.ExecutionRoles, "execution_roles", "an IAM role ARN or pattern (arn:aws:iam::123456789012:role/sagemaker-*)", roleARNGlobRE, path)
	if s := r.Studio; s != nil {
		if s.AppNetworkAccess != "" && s.AppNetworkAccess != "VpcOnly" && s.AppNetworkAccess != "any" {
			at(fmt.Sprintf("require.studio.app_network_access %q must be VpcOnly (the baseline) or any", s.AppNetworkAccess), "studio", "app_network_access")
		}
		v.kmsAllowance(s.KMSKey, "studio.kms_key", append(slices.Clone(path), "studio"))
	}
}

func (v *validator) kmsAllowance(a Allowance, name string, path []any) {
	key := name[strings.LastIndex(name, ".")+1:]
	at := func(msg string, rest ...any) { v.at(msg, append(append(slices.Clone(path), key), rest...)...) }
	switch {
	case !a.set:
	case a.bad != "":
		at(fmt.Sprintf("require.%s is %s; write required, any, or a list of KMS key ARNs or key IDs", name, a.bad))
	case a.list == nil && a.word != "required" && a.word != "any":
		at(fmt.Sprintf("require.%s %q must be required, any, or a list of KMS key ARNs or key IDs", name, a.word))
	case a.list != nil && len(a.list) == 0:
		at(fmt.Sprintf("require.%s is an empty list: no notebook could comply; write required, any, or the allowed keys", name))
	default:
		for j, k := range a.list {
			if kmsKeyID(k) == "" {
				at(fmt.Sprintf("require.%s[%d] %q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) or key ID; an alias is not accepted, since it can be moved to another key", name, j, k), j)
			}
		}
	}
}

func (v *validator) listAllowance(a Allowance, key, what string, re *regexp.Regexp, path []any) {
	at := func(msg string, rest ...any) { v.at(msg, append(append(slices.Clone(path), key), rest...)...) }
	switch {
	case !a.set:
	case a.bad != "":
		at(fmt.Sprintf("require.%s is %s; write any, or a list in which each item is %s", key, a.bad, what))
	case a.list == nil && a.word != "any":
		at(fmt.Sprintf("require.%s %q must be any or a list in which each item is %s", key, a.word, what))
	case a.list != nil && len(a.list) == 0:
		at(fmt.Sprintf("require.%s is an empty list: no notebook could comply; write any, or list the allowed ones", key))
	default:
		seen := map[string]bool{}
		for j, s := range a.list {
			switch {
			case !re.MatchString(s):
				at(fmt.Sprintf("require.%s[%d] %q is not %s", key, j, s, what), j)
			case seen[s]:
				at(fmt.Sprintf("require.%s[%d] %q is listed twice", key, j, s), j)
			}
			seen[s] = true
		}
	}
}

// resolvePosture applies the team's block over the defaults', field by
// field; nil when neither sets anything.
func resolvePosture(def, team *Requirements) *Posture {
	if def == nil && team == nil {
		return nil
	}
	var d, t Requirements
	if def != nil {
		d = *def
	}
	if team != nil {
		t = *team
	}
	word := func(team, def string) string {
		if team != "" {
			return team
		}
		return def
	}
	allow := func(team, def Allowance) Allowance {
		if team.set {
			return team
		}
		return def
	}
	p := &Posture{Mode: word(word(t.Mode, d.Mode), PostureEnforce)}
	p.NoDirectInternet = word(t.DirectInternetAccess, d.DirectInternetAccess) == "Disabled"
	p.NoRoot = word(t.RootAccess, d.RootAccess) == "Disabled"
	kms := allow(t.KMSKey, d.KMSKey)
	p.KMSRequired, p.KMSKeys = kms.word == "required" || len(kms.list) > 0, kms.list
	p.Subnets = allow(t.Subnets, d.Subnets).list
	p.SecurityGroups = allow(t.SecurityGroups, d.SecurityGroups).list
	p.InstanceTypes = allow(t.InstanceTypes, d.InstanceTypes).list
	p.ExecutionRoles = allow(t.ExecutionRoles, d.ExecutionRoles).list
	p.NotebookRequirements = p.NoDirectInternet || p.NoRoot || p.KMSRequired || p.Subnets != nil || p.SecurityGroups != nil || p.InstanceTypes != nil || p.ExecutionRoles != nil
	var ds, ts StudioRequirements
	if d.Studio != nil {
		ds = *d.Studio
	}
	if t.Studio != nil {
		ts = *t.Studio
	}
	p.StudioVpcOnly = word(ts.AppNetworkAccess, ds.AppNetworkAccess) == "VpcOnly"
	skms := allow(ts.KMSKey, ds.KMSKey)
	p.StudioKMSRequired, p.StudioKMSKeys = skms.word == "required" || len(skms.list) > 0, skms.list
	if !p.NotebookRequirements && !p.StudioVpcOnly && !p.StudioKMSRequired {
		return nil
	}
	return p
}

// OwnerTag is the notebook tag whose selector is exactly {{.Username}}
// (owner: "{{.Username}}"), so the owner of a notebook of the team can be
// read off its tags; "" when the team's selector has none.
func (t *Team) OwnerTag() string {
	for k, v := range t.selectorValues {
		if v.tmpl == nil && len(v.parts) == 1 && slices.Equal(v.parts[0].field, []string{"Username"}) {
			return k
		}
	}
	return ""
}
