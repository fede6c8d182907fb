package iampolicy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/secds/secds/abac"
)

// Options say who the broker is and where its AWS calls come from.
type Options struct {
	// BrokerPrincipal is the ARN of the IAM role (or user) the broker runs
	// as: the only principal the trust policies admit.
	BrokerPrincipal string
	// SourceVPCEs pins the team sessions' SageMaker calls to these VPC
	// endpoints (aws:SourceVpce), for brokers that reach SageMaker privately.
	SourceVPCEs []string
	// SourceIPs pins them to these public CIDR ranges (aws:SourceIp), the
	// broker's NAT addresses. It does not work through VPC endpoints, so it
	// cannot be combined with SourceVPCEs.
	SourceIPs []string
	// Studio adds the SageMaker Studio statements to every team, not only
	// to those whose mapping has studio settings.
	Studio bool
}

// TeamPolicies are the two documents of one team role.
type TeamPolicies struct {
	Team        string   `json:"team"`
	RoleARN     string   `json:"role_arn"`
	RoleName    string   `json:"role_name"`
	Trust       Document `json:"trust_policy"`
	Permissions Document `json:"permission_policy"`
}

var (
	principalRE = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/[\w+=,.@/-]{1,512}$`)
	roleRE      = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
	vpceRE      = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)
	cidrRE      = regexp.MustCompile(`^[0-9a-fA-F:.]+/\d{1,3}$`)
)

// ForMapping returns the policies of the named team, or of every team when
// team is empty, in the mapping's order.
func ForMapping(m *abac.Mapping, team string, opts Options) ([]TeamPolicies, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	var out []TeamPolicies
	for i := range m.Teams {
		t := &m.Teams[i]
		if team != "" && t.Name != team {
			continue
		}
		p, err := ForTeam(t, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no team %q in the mapping", team)
	}
	return out, nil
}

func (o Options) check() error {
	var errs []error
	if !principalRE.MatchString(o.BrokerPrincipal) {
		errs = append(errs, fmt.Errorf("broker principal %q is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)", o.BrokerPrincipal))
	}
	if len(o.SourceVPCEs) > 0 && len(o.SourceIPs) > 0 {
		errs = append(errs, errors.New("pin to VPC endpoints or to source IPs, not both: aws:SourceIp is absent on calls through a VPC endpoint"))
	}
	for _, v := range o.SourceVPCEs {
		if !vpceRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("%q is not a VPC endpoint ID (vpce-...)", v))
		}
	}
	for _, c := range o.SourceIPs {
		if !cidrRE.MatchString(c) {
			errs = append(errs, fmt.Errorf("%q is not a CIDR range", c))
		}
	}
	return errors.Join(errs...)
}

// ForTeam returns one team's policies.
func ForTeam(t *abac.Team, opts Options) (TeamPolicies, error) {
	if err := opts.check(); err != nil {
		return TeamPolicies{}, err
	}
	m := roleRE.FindStringSubmatch(t.RoleARN)
	if m == nil {
		return TeamPolicies{}, fmt.Errorf("team %s: role_arn %q is not an IAM role ARN", t.Name, t.RoleARN)
	}
	partition, account, roleName := m[1], m[2], m[3]
	return TeamPolicies{
		Team:        t.Name,
		RoleARN:     t.RoleARN,
		RoleName:    roleName,
		Trust:       trust(t, opts),
		Permissions: permissions(t, partition, account, opts),
	}, nil
}

// trust admits the broker only as the broker assumes roles: with this team's
// team tag, a user tag, no tag keys but the mapping's, and a source identity,
// so CloudTrail always names the person.
func trust(t *abac.Team, opts Options) Document {
	keys := []string{"team", "user"}
	for k := range t.SessionTags {
		keys = append(keys, k)
	}
	slices.Sort(keys[2:])
	s := Statement{
		Sid:       "BrokerAssumesForTeam" + sidPart(t.Name),
		Effect:    "Allow",
		Principal: map[string]string{"AWS": opts.BrokerPrincipal},
		Action:    []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
	}
	s.with("StringEquals", "aws:RequestTag/team", t.Name)
	s.with("ForAllValues:StringEquals", "aws:TagKeys", keys)
	s.with("Null", "aws:RequestTag/user", "false")
	s.with("Null", "sts:SourceIdentity", "false")
	if len(t.TransitiveTagKeys) > 0 {
		s.with("ForAllValues:StringEquals", "sts:TransitiveTagKeys", slices.Sorted(slices.Values(t.TransitiveTagKeys)))
	} else {
		s.with("Null", "sts:TransitiveTagKeys", "true")
	}
	return Document{Version: policyVersion, Statement: []Statement{s}}
}

// principalTeam is the session's own team tag, as a policy variable.
const principalTeam = "${aws:PrincipalTag/team}"

// permissions lets the team session find notebooks and presign only those
// tagged with its own team; an explicit deny keeps it so whatever else is
// attached to the role.
func permissions(t *abac.Team, partition, account string, opts Options) Document {
	arn := func(resource string) string {
		return fmt.Sprintf("arn:%s:sagemaker:*:%s:%s", partition, account, resource)
	}
	notebooks := arn("notebook-instance/*")
	presign := Statement{
		Sid: "PresignOwnTeamNotebooks", Effect: "Allow",
		Action:   []string{"sagemaker:CreatePresignedNotebookInstanceUrl"},
		Resource: []string{notebooks},
	}
	presign.with("StringEquals", "sagemaker:ResourceTag/team", principalTeam)
	describe := Statement{
		Sid: "DescribeOwnTeamNotebooks", Effect: "Allow",
		Action:   []string{"sagemaker:DescribeNotebookInstance"},
		Resource: []string{notebooks},
	}
	describe.with("StringEquals", "sagemaker:ResourceTag/team", principalTeam)
	// SageMaker cannot filter the list by tag: the broker reads every
	// notebook's tags to find the team's. Listing reveals names and tags,
	// not access.
	discover := Statement{
		Sid: "DiscoverNotebooks", Effect: "Allow",
		Action:   []string{"sagemaker:ListNotebookInstances", "sagemaker:ListTags"},
		Resource: []string{"*"},
	}
	deny := Statement{
		Sid: "DenyOtherTeamsNotebooks", Effect: "Deny",
		Action:   []string{"sagemaker:CreatePresignedNotebookInstanceUrl"},
		Resource: []string{notebooks},
	}
	deny.with("StringNotEquals", "sagemaker:ResourceTag/team", principalTeam)
	allows, denies := []Statement{presign, describe, discover}, []Statement{deny}
	if opts.Studio || t.Studio != nil {
		domain := "*"
		if t.Studio != nil && t.Studio.DomainID != "" && !strings.Contains(t.Studio.DomainID, "{{") {
			domain = t.Studio.DomainID
		}
		studio := Statement{
			Sid: "PresignOwnTeamStudio", Effect: "Allow",
			Action:   []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"},
			Resource: []string{arn("user-profile/" + domain + "/*")},
		}
		studio.with("StringEquals", "sagemaker:ResourceTag/team", principalTeam)
		studioDeny := Statement{
			Sid: "DenyOtherTeamsStudio", Effect: "Deny",
			Action:   []string{"sagemaker:CreatePresignedDomainUrl"},
			Resource: []string{arn("user-profile/*/*")},
		}
		studioDeny.with("StringNotEquals", "sagemaker:ResourceTag/team", principalTeam)
		allows, denies = append(allows, studio), append(denies, studioDeny)
	}
	for i := range allows {
		pin(&allows[i], opts)
	}
	return Document{Version: policyVersion, Statement: append(allows, denies...)}
}

// pin limits an Allow to calls from the broker's network.
func pin(s *Statement, opts Options) {
	switch {
	case len(opts.SourceVPCEs) > 0:
		s.with("StringEquals", "aws:SourceVpce", opts.SourceVPCEs)
	case len(opts.SourceIPs) > 0:
		s.with("IpAddress", "aws:SourceIp", opts.SourceIPs)
	}
}

// sidPart makes a team name fit a statement ID ([A-Za-z0-9]).
func sidPart(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}
