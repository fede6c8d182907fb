package iampolicy

import (
	"fmt"
	"strings"
)

// source admits requests from one kind of network: VPC endpoints
// (aws:SourceVpce) or public address ranges (aws:SourceIp). AWS puts exactly
// one of the two keys in a request: aws:SourceVpce only on calls through a
// VPC endpoint, aws:SourceIp only on calls that do not use one.
type source struct {
	key    string // aws:SourceVpce or aws:SourceIp
	values []string
}

const (
	keySourceVpce = "aws:SourceVpce"
	keySourceIP   = "aws:SourceIp"
)

// allow is the operator that matches the source.
func (s source) allowOp() string {
	if s.key == keySourceIP {
		return "IpAddress"
	}
	return "StringEquals"
}

// brokerSources is where the broker's SageMaker calls come from, if given.
func (o Options) brokerSources() []source {
	return sources(o.SourceVPCEs, o.SourceIPs)
}

// userSources is where the users' browsers use the URLs from, if given.
func (o Options) userSources() []source {
	return sources(o.UserVPCEs, o.UserIPs)
}

func sources(vpces, ips []string) []source {
	var out []source
	if len(vpces) > 0 {
		out = append(out, source{keySourceVpce, vpces})
	}
	if len(ips) > 0 {
		out = append(out, source{keySourceIP, ips})
	}
	return out
}

// pinTo limits an Allow to requests from one source.
func pinTo(s *Statement, src source) {
	s.with(src.allowOp(), src.key, src.values)
}

// denyOutside makes a Deny match requests that come from none of the
// sources. Each key is negated with IfExists, so its absence counts as "not
// from there": a call through some other VPC endpoint has no aws:SourceIp
// and fails the endpoint test, a call over the internet has no
// aws:SourceVpce and fails the address test. A kind of network with no
// source at all is left out, so every request of that kind is denied.
func denyOutside(s *Statement, srcs []source) {
	var vpces, ips []string
	for _, src := range srcs {
		if src.key == keySourceVpce {
			vpces = append(vpces, src.values...)
		} else {
			ips = append(ips, src.values...)
		}
	}
	if len(vpces) > 0 {
		s.with("StringNotEqualsIfExists", keySourceVpce, vpces)
	}
	if len(ips) > 0 {
		s.with("NotIpAddressIfExists", keySourceIP, ips)
	}
}

// describe says where a source is, for the notes.
func describe(srcs []source) string {
	var parts []string
	for _, src := range srcs {
		if src.key == keySourceVpce {
			parts = append(parts, fmt.Sprintf("VPC endpoints %s (aws:SourceVpce)", strings.Join(src.values, ", ")))
		} else {
			parts = append(parts, fmt.Sprintf("addresses %s (aws:SourceIp)", strings.Join(src.values, ", ")))
		}
	}
	return strings.Join(parts, " or ")
}
