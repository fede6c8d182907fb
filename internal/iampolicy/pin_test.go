package iampolicy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iampolicy"
)

// cond is one network condition: operator, key and its values separated
// by spaces.
type cond struct{ op, key, value string }

const (
	brokerVPCE = "vpce-0123456789abcdef0"
	userVPCE   = "vpce-0fedcba9876543210"
	brokerIP   = "198.51.100.7/32"
	userIP     = "203.0.113.0/24"
)

// TestPinning: the broker's network pins the reads; presign is pinned only
// when the users' network is given too, with one Allow per network and a
// Deny for requests from neither.
func TestPinning(t *testing.T) {
	tests := []struct {
		name     string
		opts     iampolicy.Options
		reads    *cond             // on list, tags and describe
		presign  map[string][]cond // Allow sid → its network condition
		denyOut  []cond            // DenyPresignOutsideNetworks
		denyRead []cond            // DenyReadsOutsideBrokerNetwork
		note     string
	}{
		{
			name:    "none",
			presign: map[string][]cond{"PresignTeamNotebooks": nil},
			note:    "Not pinned to a network",
		},
		{
			name:     "broker endpoint only",
			opts:     iampolicy.Options{SourceVPCEs: []string{brokerVPCE}},
			reads:    &cond{"StringEquals", "aws:SourceVpce", brokerVPCE},
			presign:  map[string][]cond{"PresignTeamNotebooks": nil},
			denyRead: []cond{{"StringNotEqualsIfExists", "aws:SourceVpce", brokerVPCE}},
			note:     "Presigning is not pinned",
		},
		{
			name:     "broker addresses only",
			opts:     iampolicy.Options{SourceIPs: []string{brokerIP}},
			reads:    &cond{"IpAddress", "aws:SourceIp", brokerIP},
			presign:  map[string][]cond{"PresignTeamNotebooks": nil},
			denyRead: []cond{{"NotIpAddressIfExists", "aws:SourceIp", brokerIP}},
			note:     "--user-ip or --user-vpce",
		},
		{
			name:  "broker endpoint, users' addresses",
			opts:  iampolicy.Options{SourceVPCEs: []string{brokerVPCE}, UserIPs: []string{userIP}},
			reads: &cond{"StringEquals", "aws:SourceVpce", brokerVPCE},
			presign: map[string][]cond{
				"PresignFromBrokerNetwork": {{"StringEquals", "aws:SourceVpce", brokerVPCE}},
				"PresignFromUserAddresses": {{"IpAddress", "aws:SourceIp", userIP}},
			},
			denyOut:  []cond{{"StringNotEqualsIfExists", "aws:SourceVpce", brokerVPCE}, {"NotIpAddressIfExists", "aws:SourceIp", userIP}},
			denyRead: []cond{{"StringNotEqualsIfExists", "aws:SourceVpce", brokerVPCE}},
			note:     "from the users' network, addresses 203.0.113.0/24",
		},
		{
			name:  "broker addresses, users' endpoint and addresses",
			opts:  iampolicy.Options{SourceIPs: []string{brokerIP}, UserVPCEs: []string{userVPCE}, UserIPs: []string{userIP}},
			reads: &cond{"IpAddress", "aws:SourceIp", brokerIP},
			presign: map[string][]cond{
				"PresignFromBrokerNetwork": {{"IpAddress", "aws:SourceIp", brokerIP}},
				"PresignFromUserEndpoints": {{"StringEquals", "aws:SourceVpce", userVPCE}},
				"PresignFromUserAddresses": {{"IpAddress", "aws:SourceIp", userIP}},
			},
			denyOut:  []cond{{"StringNotEqualsIfExists", "aws:SourceVpce", userVPCE}, {"NotIpAddressIfExists", "aws:SourceIp", brokerIP + " " + userIP}},
			denyRead: []cond{{"NotIpAddressIfExists", "aws:SourceIp", brokerIP}},
			note:     "denied explicitly",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := generate(t, devMapping(t), "fraud", tc.opts)
			perms := p.Teams[0].Perms
			for _, sid := range []string{"ListNotebooks", "ReadNotebookTags", "DescribeTeamNotebooks"} {
				s := perms.sid(t, sid)
				got := networkConds(s)
				if tc.reads == nil && len(got) > 0 || tc.reads != nil && (len(got) != 1 || !equalAny(s.Condition[tc.reads.op][tc.reads.key], tc.reads.value)) {
					t.Errorf("%s network condition = %v, want %v", sid, got, tc.reads)
				}
			}
			var presigns []string
			for _, s := range perms.Statement {
				if s.Effect == "Allow" && slices.Contains(s.Action, "sagemaker:CreatePresignedNotebookInstanceUrl") {
					presigns = append(presigns, s.Sid)
					want, ok := tc.presign[s.Sid]
					if !ok {
						t.Errorf("unexpected presign allow %s", s.Sid)
						continue
					}
					checkConds(t, s, want)
					if !equalAny(s.Condition["StringEquals"]["sagemaker:ResourceTag/team"], "fraud") || !equalAny(s.Condition["StringEquals"]["sagemaker:ResourceTag/owner"], "${aws:PrincipalTag/user}") {
						t.Errorf("%s lost the grant's tags: %v", s.Sid, s.Condition)
					}
				}
			}
			if len(presigns) != len(tc.presign) {
				t.Errorf("presign allows = %v, want %d", presigns, len(tc.presign))
			}
			checkDeny(t, perms, "DenyPresignOutsideNetworks", tc.denyOut)
			checkDeny(t, perms, "DenyReadsOutsideBrokerNetwork", tc.denyRead)
			// The tag denies are never narrowed by a network.
			for _, sid := range []string{"DenyOtherTeamsNotebooks", "DenyUnlessOwnerTag"} {
				if got := networkConds(perms.sid(t, sid)); len(got) > 0 {
					t.Errorf("%s is narrowed by %v", sid, got)
				}
			}
			if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, tc.note) }) {
				t.Errorf("notes = %q, want one saying %q", p.Notes, tc.note)
			}
		})
	}
}

// networkConds lists the operator/key pairs of a statement on the source
// network keys.
func networkConds(s stmt) []string {
	var out []string
	for op, keys := range s.Condition {
		for k := range keys {
			if k == "aws:SourceVpce" || k == "aws:SourceIp" {
				out = append(out, op+" "+k)
			}
		}
	}
	return out
}

func checkConds(t *testing.T, s stmt, want []cond) {
	t.Helper()
	if got := networkConds(s); len(got) != len(want) {
		t.Errorf("%s network conditions = %v, want %v", s.Sid, got, want)
	}
	for _, c := range want {
		if !equalAny(s.Condition[c.op][c.key], strings.Fields(c.value)...) {
			t.Errorf("%s: %s %s = %v, want %v", s.Sid, c.op, c.key, s.Condition[c.op][c.key], c.value)
		}
	}
}

func checkDeny(t *testing.T, d doc, sid string, want []cond) {
	t.Helper()
	if want == nil {
		if d.has(sid) {
			t.Errorf("unexpected %s", sid)
		}
		return
	}
	s := d.sid(t, sid)
	if s.Effect != "Deny" || len(s.Condition) != len(want) {
		t.Errorf("%s = %+v, want a Deny on %v", sid, s, want)
	}
	checkConds(t, s, want)
}

// TestOptionRefusals: every bad option is refused, all at once, with a
// message that says why.
func TestOptionRefusals(t *testing.T) {
	m := devMapping(t)
	tests := []struct {
		name string
		team string
		opts iampolicy.Options
		want []string
	}{
		{"no broker principal", "", iampolicy.Options{}, []string{"not an IAM role or user ARN"}},
		{"a bucket is no principal", "", iampolicy.Options{BrokerPrincipal: "arn:aws:s3:::bucket"}, []string{"not an IAM role or user ARN"}},
		{"an assumed-role session is no principal", "", iampolicy.Options{BrokerPrincipal: "arn:aws:sts::999988887777:assumed-role/secds-broker/x"}, []string{"not an IAM role or user ARN"}},
		{"both broker pins", "", iampolicy.Options{BrokerPrincipal: broker, SourceVPCEs: []string{brokerVPCE}, SourceIPs: []string{brokerIP}}, []string{"not both", "aws:SourceIp"}},
		{"users' network alone", "", iampolicy.Options{BrokerPrincipal: broker, UserIPs: []string{userIP}}, []string{"the broker's network must be given too", "--source-vpce or --source-ip"}},
		{"users' endpoint alone", "", iampolicy.Options{BrokerPrincipal: broker, UserVPCEs: []string{userVPCE}}, []string{"the broker's network must be given too"}},
		{"bad endpoint", "", iampolicy.Options{BrokerPrincipal: broker, SourceVPCEs: []string{"vpc-123"}}, []string{`broker VPC endpoint "vpc-123" is not a VPC endpoint ID`}},
		{"bad user endpoint", "", iampolicy.Options{BrokerPrincipal: broker, SourceVPCEs: []string{brokerVPCE}, UserVPCEs: []string{"vpce-XYZ"}}, []string{`users' VPC endpoint "vpce-XYZ"`}},
		{"an address is no CIDR", "", iampolicy.Options{BrokerPrincipal: broker, SourceIPs: []string{"10.0.0.1"}}, []string{"not a CIDR range"}},
		{"garbage CIDR", "", iampolicy.Options{BrokerPrincipal: broker, SourceIPs: []string{"10.0.0.300/24"}}, []string{"not a CIDR range"}},
		{"host bits", "", iampolicy.Options{BrokerPrincipal: broker, SourceIPs: []string{brokerIP}, UserIPs: []string{"203.0.113.9/24"}}, []string{"did you mean 203.0.113.0/24"}},
		{"every address", "", iampolicy.Options{BrokerPrincipal: broker, SourceIPs: []string{"::/0"}}, []string{"pins nothing"}},
		{"several at once", "", iampolicy.Options{BrokerPrincipal: "x", SourceIPs: []string{"x"}}, []string{"not an IAM role", "not a CIDR range"}},
		{"unknown team", "nope", iampolicy.Options{BrokerPrincipal: broker}, []string{`no team "nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iampolicy.Generate(m, tc.team, tc.opts)
			if err == nil {
				t.Fatalf("err = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
			if _, err := iampolicy.ForMapping(m, tc.team, tc.opts); err == nil {
				t.Error("ForMapping accepted it")
			}
		})
	}
	ok := iampolicy.Options{BrokerPrincipal: "arn:aws:iam::999988887777:user/secds-broker", SourceIPs: []string{"2001:db8::/32", brokerIP}, UserIPs: []string{userIP}}
	if _, err := iampolicy.Generate(m, "", ok); err != nil {
		t.Errorf("a user principal and IPv6 ranges: %v", err)
	}
}
