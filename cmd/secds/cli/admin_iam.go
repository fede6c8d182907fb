package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/iampolicy"
)

// iamInput is what secds admin iam is asked: one team or all, the mapping
// (File, or "" for the broker's current one), where the policies go, and who
// the broker is and where its calls and the users' browsers come from.
//
// The policies are computed here, from the mapping, not by the broker: the
// generator is pure, works on a file under review before it is applied, and
// the broker needs no knowledge of its own principal or network to serve it.
type iamInput struct {
	Team    string
	All     bool
	File    string
	OutDir  string
	Options iampolicy.Options
}

func (a *App) iamCmd() *cobra.Command {
	var in iamInput
	parse := func(*cobra.Command, []string) (iamInput, error) {
		if in.All == (in.Team != "") {
			return in, Exitf(ExitUsage, "give --team TEAM or --all")
		}
		return in, nil
	}
	cmd := &cobra.Command{
		Use:   "iam --broker-role ARN (--team TEAM | --all)",
		Short: "Print the IAM policies of the team roles and of the broker",
		Long: `Print, as JSON, the IAM policies that make AWS a second wall behind the
broker, computed from the mapping:

  broker             the identity policy of the broker's principal: assume,
                     tag and set the source identity of exactly the mapping's
                     team roles, in every account (always every team role,
                     also with --team: it is one policy of one principal);
  teams[].trust_policy
                     admits only the broker's principal, with this team's
                     team tag, a user tag, the team's session tags (literal
                     values pinned), no other tag key, and a source identity;
  teams[].permission_policy
                     list notebooks and read their tags; describe and presign
                     only the notebooks the team's grant allows: the team and
                     literal selector values written literally, the owner
                     through the session's user tag, literal notebook names as
                     ARNs; explicit denies keep it so whatever else is attached;
  teams[].broker_only
                     what of the grant IAM cannot check, so only the broker does;
  notes              the choices made, in plain words.

--broker-role is the ARN of the IAM role or IAM user the broker runs as.

Pinning. AWS checks the presign permission on the broker's
CreatePresignedNotebookInstanceUrl call and again on every HTTP request and
WebSocket frame made with the URL, from the user's browser. So:
  --source-vpce or --source-ip  the broker's network (its SageMaker VPC
                                endpoint, or its NAT addresses): pins the
                                list, tag and describe calls;
  --user-ip or --user-vpce      the users' network (their public address
                                ranges, or the notebook VPC endpoint they use):
                                with the broker's network, pins presigning to
                                the two networks and denies it from elsewhere.
The users' network needs the broker's network too; the broker's network alone
leaves presigning unpinned (a note says why).

The mapping is the broker's current one, or -f FILE (a change under review).
--out DIR writes TEAM.trust.json, TEAM.permissions.json and broker.json into
DIR and prints the aws commands that apply them.`,
		Example: `  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --team fraud
  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --all \
      --source-vpce vpce-0a1b2c3d4e5f67890 --user-ip 203.0.113.0/24 --out policies/
  secds admin iam --broker-role arn:aws:iam::111122223333:user/secds-broker --all -f teams.yaml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.iam),
	}
	f := cmd.Flags()
	f.StringVar(&in.Options.BrokerPrincipal, "broker-role", "", "ARN of the IAM role (or IAM user) the broker runs as (required)")
	f.StringVar(&in.Team, "team", "", "the team whose role to print")
	f.BoolVar(&in.All, "all", false, "every team's role")
	f.StringVarP(&in.File, "file", "f", "", "a mapping file instead of the broker's current mapping")
	f.StringSliceVar(&in.Options.SourceVPCEs, "source-vpce", nil, "the broker's network: VPC endpoint IDs it reaches SageMaker through (aws:SourceVpce)")
	f.StringSliceVar(&in.Options.SourceIPs, "source-ip", nil, "the broker's network: its public egress CIDR ranges (aws:SourceIp; not with --source-vpce)")
	f.StringSliceVar(&in.Options.UserIPs, "user-ip", nil, "the users' network: CIDR ranges their browsers use the notebook URLs from (aws:SourceIp)")
	f.StringSliceVar(&in.Options.UserVPCEs, "user-vpce", nil, "the users' network: VPC endpoint IDs their browsers reach the notebooks through (aws:SourceVpce)")
	f.StringVar(&in.OutDir, "out", "", "write TEAM.trust.json, TEAM.permissions.json and broker.json into this directory")
	_ = cmd.MarkFlagRequired("broker-role")
	return cmd
}

// iam is secds admin iam.
func (a *App) iam(ctx context.Context, in iamInput) error {
	m, err := a.iamMapping(ctx, in.File)
	if err != nil {
		return err
	}
	ps, err := iampolicy.Generate(m, in.Team, in.Options)
	if err != nil {
		return Exitf(ExitUsage, "%v", err)
	}
	if in.OutDir != "" {
		return a.writePolicies(in.OutDir, ps)
	}
	return writeJSON(a.Stdout(), ps)
}

// iamMapping reads the mapping the policies are made from: the file, or the
// broker's current mapping.
func (a *App) iamMapping(ctx context.Context, file string) (*abac.Mapping, error) {
	var content []byte
	name := file
	if file != "" {
		var err error
		if content, err = a.readFile(file); err != nil {
			return nil, err
		}
	} else {
		d, err := admin{a}.mapping(ctx)
		if err != nil {
			return nil, err
		}
		content, name = []byte(d.Content), fmt.Sprintf("mapping version %d", d.Version)
	}
	m, err := abac.Parse(name, content)
	if err != nil {
		return nil, Exitf(ExitFailure, "%v", err)
	}
	return m, nil
}
