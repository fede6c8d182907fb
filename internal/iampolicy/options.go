package iampolicy

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
)

// Options say who the broker is and where the calls made with a team
// session come from. The two networks are apart because AWS checks the
// presign permission twice: on the broker's CreatePresignedNotebookInstanceUrl
// call, from the broker's network, and on every HTTP request and WebSocket
// frame made with the URL, from the users' browsers.
type Options struct {
	// BrokerPrincipal is the ARN of the IAM role or user the broker runs
	// as: the only principal the trust policies admit.
	BrokerPrincipal string
	// SourceVPCEs are the VPC interface endpoint IDs (aws:SourceVpce) the
	// broker reaches SageMaker through: every SageMaker API call the team
	// sessions make comes from here.
	SourceVPCEs []string
	// SourceIPs are the broker's public egress CIDR ranges (aws:SourceIp),
	// its NAT addresses, when it reaches SageMaker over the internet. AWS
	// leaves aws:SourceIp out of calls through a VPC endpoint, so they
	// cannot be combined with SourceVPCEs.
	SourceIPs []string
	// UserIPs are the users' public CIDR ranges (aws:SourceIp): every HTTP
	// request and WebSocket frame made with a presigned URL comes from here
	// or through UserVPCEs.
	UserIPs []string
	// UserVPCEs are the VPC interface endpoint IDs (aws:SourceVpce) the
	// users' browsers reach the notebooks through.
	UserVPCEs []string
	// StateTable is the ARN of the DynamoDB table the broker keeps its
	// shared state in (mapping_store: dynamodb), or empty when it has none:
	// the broker policy then also allows DynamoDBActions on that table.
	StateTable string
}

var (
	principalRE = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/[\w+=,.@/-]{1,512}$`)
	roleRE      = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
	vpceRE      = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)
)

// brokerNetwork reports whether the broker's network is given.
func (o Options) brokerNetwork() bool { return len(o.SourceVPCEs)+len(o.SourceIPs) > 0 }

// userNetwork reports whether the users' network is given.
func (o Options) userNetwork() bool { return len(o.UserVPCEs)+len(o.UserIPs) > 0 }

// check reports every problem with the options at once.
func (o Options) check() error {
	var errs []error
	if !principalRE.MatchString(o.BrokerPrincipal) {
		errs = append(errs, fmt.Errorf("broker principal %q is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or :user/<name>)", o.BrokerPrincipal))
	}
	if len(o.SourceVPCEs) > 0 && len(o.SourceIPs) > 0 {
		errs = append(errs, errors.New("give the broker's network as VPC endpoints (--source-vpce) or as source IPs (--source-ip), not both: AWS leaves aws:SourceIp out of calls through a VPC endpoint, so one pin would refuse the other's calls"))
	}
	if o.userNetwork() && !o.brokerNetwork() {
		errs = append(errs, errors.New("the users' network (--user-ip, --user-vpce) pins the presigned URL, but AWS checks the same presign permission on the broker's own CreatePresignedNotebookInstanceUrl call, so the broker's network must be given too (--source-vpce or --source-ip); allowing the broker's call from anywhere would make the users' pin pointless"))
	}
	if err := checkStateTable(o.StateTable); err != nil {
		errs = append(errs, err)
	} else if p, t := principalRE.FindStringSubmatch(o.BrokerPrincipal), stateTableRE.FindStringSubmatch(o.StateTable); p != nil && t != nil && p[1] != t[1] {
		errs = append(errs, fmt.Errorf("state table %q is in partition %s and the broker principal in %s: IAM cannot grant across partitions", o.StateTable, t[1], p[1]))
	}
	errs = append(errs, checkVPCEs("broker", o.SourceVPCEs)...)
	errs = append(errs, checkVPCEs("users'", o.UserVPCEs)...)
	errs = append(errs, checkCIDRs("broker", o.SourceIPs)...)
	errs = append(errs, checkCIDRs("users'", o.UserIPs)...)
	return errors.Join(errs...)
}

func checkVPCEs(whose string, ids []string) []error {
	var errs []error
	for _, v := range ids {
		if !vpceRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s VPC endpoint %q is not a VPC endpoint ID (vpce- and 8 or 17 hex digits)", whose, v))
		}
	}
	return errs
}

// checkCIDRs parses each range as AWS's IpAddress operator reads it. A
// range with host bits set or one that covers every address is refused:
// the first is usually a typo, the second pins nothing.
func checkCIDRs(whose string, cidrs []string) []error {
	var errs []error
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s address range %q is not a CIDR range (such as 203.0.113.0/24 or 2001:db8::/32)", whose, c))
		case p.Masked() != p:
			errs = append(errs, fmt.Errorf("%s address range %q has host bits set; did you mean %s?", whose, c, p.Masked()))
		case p.Bits() == 0:
			errs = append(errs, fmt.Errorf("%s address range %q admits every address, so it pins nothing", whose, c))
		}
	}
	return errs
}
