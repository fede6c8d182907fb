package config

import (
	"fmt"
	"net/netip"
	"regexp"
)

// PinURLs is aws.pin_urls: each open's role session gets an inline session
// policy that lets it act only from the broker's network and use a
// presigned URL only from the requesting client (docs/SECURITY.md).
type PinURLs struct {
	// BrokerSourceVPCEs are the VPC endpoints the broker reaches SageMaker
	// through (aws:SourceVpce); BrokerSourceIPs its egress CIDR ranges
	// (aws:SourceIp). Exactly one of the two.
	BrokerSourceVPCEs []string `yaml:"broker_source_vpces"`
	BrokerSourceIPs   []string `yaml:"broker_source_ips"`
	// ClientAddress pins each URL to the client's address: the TCP peer,
	// or the right-most X-Forwarded-For entry not in trusted_proxies when
	// the peer is one. Default true.
	ClientAddress *bool `yaml:"client_address"`
	// ClientVPCEs are VPC endpoints the users' browsers reach SageMaker
	// through, allowed beside (or, with client_address: false, instead
	// of) the address.
	ClientVPCEs []string `yaml:"client_vpces"`
	// IPv6Prefix is what an IPv6 client is pinned to: 64 (default) or 128.
	IPv6Prefix int `yaml:"ipv6_prefix"`
}

// PinsClientAddress reports whether URLs are pinned to the client address.
func (p *PinURLs) PinsClientAddress() bool { return p.ClientAddress == nil || *p.ClientAddress }

var vpceIDRE = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)

func (c *Config) pinChecks() []check {
	p := c.AWS.PinURLs
	if p == nil {
		return nil
	}
	out := []check{
		{"aws.pin_urls", len(p.BrokerSourceVPCEs) > 0 == (len(p.BrokerSourceIPs) > 0),
			"give the broker's network as broker_source_vpces or as broker_source_ips, exactly one: AWS leaves aws:SourceIp out of calls through a VPC endpoint, so one would refuse the other's calls"},
		{"aws.pin_urls", !p.PinsClientAddress() && len(p.ClientVPCEs) == 0,
			"client_address is false and no client_vpces are given: no browser could use a URL"},
		{"aws.pin_urls.ipv6_prefix", p.IPv6Prefix != 0 && p.IPv6Prefix != 64 && p.IPv6Prefix != 128,
			fmt.Sprintf("%d must be 64 or 128", p.IPv6Prefix)},
	}
	for i, v := range p.BrokerSourceVPCEs {
		out = append(out, check{fmt.Sprintf("aws.pin_urls.broker_source_vpces[%d]", i), !vpceIDRE.MatchString(v), fmt.Sprintf("%q is not a VPC endpoint ID (vpce-…)", v)})
	}
	for i, v := range p.ClientVPCEs {
		out = append(out, check{fmt.Sprintf("aws.pin_urls.client_vpces[%d]", i), !vpceIDRE.MatchString(v), fmt.Sprintf("%q is not a VPC endpoint ID (vpce-…)", v)})
	}
	for i, v := range p.BrokerSourceIPs {
		_, err := netip.ParsePrefix(v)
		out = append(out, check{fmt.Sprintf("aws.pin_urls.broker_source_ips[%d]", i), err != nil, fmt.Sprintf("%q is not a CIDR range (203.0.113.10/32)", v)})
	}
	return out
}
