package broker

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"github.com/secds/secds/internal/api"
)

// Pin pins every presigned URL to the client that asked for it. AWS
// enforces the presigner's IAM policy on the CreatePresignedNotebookInstanceUrl
// call and again on every HTTP request and WebSocket frame made with the
// URL, so the broker passes AssumeRole an inline session policy that lets
// the session do anything (the role's own policy still decides) from the
// broker's network, and use a presigned URL only from the client's
// address or the users' VPC endpoints. A URL that leaks is then useless
// elsewhere.
//
// AWS caveats (docs/SECURITY.md): aws:SourceIp is absent from requests
// through a VPC interface endpoint (so a broker behind one is pinned by
// BrokerVPCEs, not addresses); users behind one NAT share an address; an
// IPv6 client is pinned to its /IPv6Prefix.
type Pin struct {
	// BrokerVPCEs are the VPC endpoints the broker reaches SageMaker
	// through (aws:SourceVpce); BrokerIPs its egress CIDR ranges
	// (aws:SourceIp). Exactly one of the two is set.
	BrokerVPCEs []string
	BrokerIPs   []string
	// ClientAddress pins each URL to the requesting client's address.
	ClientAddress bool
	// ClientVPCEs are the VPC endpoints the users' browsers reach
	// SageMaker through (aws:SourceVpce), allowed beside the address.
	ClientVPCEs []string
	// IPv6Prefix is the prefix length an IPv6 client is pinned to: 64 (a
	// host commonly moves within its /64) or 128.
	IPv6Prefix int
}

// MaxSessionPolicyBytes is AWS's limit on an inline session policy.
const MaxSessionPolicyBytes = 2048

type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  string                         `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition"`
}

// sessionPolicy is the inline policy of a session that presigns for a
// client at clientIP. It fails, rather than pins nothing, when the address
// is not an IP address.
func (p *Pin) sessionPolicy(clientIP string) (string, error) {
	broker := policyStatement{Sid: "SecdsBrokerNetwork", Effect: "Allow", Action: []string{"*"}, Resource: "*"}
	if len(p.BrokerVPCEs) > 0 {
		broker.Condition = map[string]map[string][]string{"StringEquals": {"aws:SourceVpce": slices.Clone(p.BrokerVPCEs)}}
	} else {
		broker.Condition = map[string]map[string][]string{"IpAddress": {"aws:SourceIp": slices.Clone(p.BrokerIPs)}}
	}
	doc := policyDoc{Version: "2012-10-17", Statement: []policyStatement{broker}}
	if p.ClientAddress {
		cidr, err := p.clientCIDR(clientIP)
		if err != nil {
			return "", err
		}
		doc.Statement = append(doc.Statement, policyStatement{Sid: "SecdsClientAddress", Effect: "Allow",
			Action: presignActions, Resource: "*",
			Condition: map[string]map[string][]string{"IpAddress": {"aws:SourceIp": {cidr}}}})
	}
	if len(p.ClientVPCEs) > 0 {
		doc.Statement = append(doc.Statement, policyStatement{Sid: "SecdsClientVpce", Effect: "Allow",
			Action: presignActions, Resource: "*",
			Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceVpce": slices.Clone(p.ClientVPCEs)}}})
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	if len(out) > MaxSessionPolicyBytes {
		return "", fmt.Errorf("the URL pinning session policy is %d bytes; AWS takes at most %d: list fewer VPC endpoints or ranges", len(out), MaxSessionPolicyBytes)
	}
	return string(out), nil
}

// presignActions are what AWS authorizes again on every request made with
// a presigned URL: a notebook's, and Studio's.
var presignActions = []string{"sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:CreatePresignedDomainUrl"}

// clientCIDR is the range a client at ip is pinned to: its /32, or its
// /IPv6Prefix for IPv6.
func (p *Pin) clientCIDR(ip string) (string, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", fmt.Errorf("cannot pin the URL to the client address %q: %w", ip, err)
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32).String(), nil
	}
	bits := p.IPv6Prefix
	if bits == 0 {
		bits = 64
	}
	pfx, err := a.Prefix(bits)
	if err != nil {
		return "", err
	}
	return pfx.String(), nil
}

// pinPolicy is the session policy for an open from clientIP, or "" when
// URLs are not pinned. An address it cannot pin to refuses the open: a URL
// is never issued unpinned by mistake.
func (b *Broker) pinPolicy(clientIP string) (string, error) {
	if b.pin == nil {
		return "", nil
	}
	policy, err := b.pin.sessionPolicy(clientIP)
	if err != nil {
		return "", &api.Error{Kind: api.KindInternal, Code: api.CodeInternal, Err: err,
			Message: "The broker cannot pin a notebook link to your address, so it issues none. Tell the platform team."}
	}
	return policy, nil
}
