package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/iamcheck"
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
	// Check proves the policies instead of printing them (iamcheck); JSON
	// prints its report as JSON.
	Check bool
	JSON  bool
}

func (a *App) iamCmd() *cobra.Command {
	var in iamInput
	var out outputFlag
	parse := func(*cobra.Command, []string) (iamInput, error) {
		var err error
		if in.JSON, err = out.json(); err != nil {
			return in, err
		}
		switch {
		case in.Options.BrokerPrincipal == "":
			return in, errNoBrokerRole(in)
		case in.Check && (in.Team != "" || in.OutDir != ""):
			return in, Exitf(ExitUsage, "--check proves every team's policies at once: give neither --team nor --out")
		case in.Check:
			in.All = true
		case in.JSON:
			return in, Exitf(ExitUsage, "--output is for --check's report; the policies are always JSON")
		case in.All == (in.Team != ""):
			return in, Exitf(ExitUsage, "give --team TEAM or --all")
		}
		return in, nil
	}
	cmd := &cobra.Command{
		Use:   "iam --broker-role ARN (--team TEAM | --all | --check)",
		Short: "Print the IAM policies of the team roles and of the broker",
		Long: `Print, as JSON, the IAM policies that make AWS a second wall behind the
broker, computed from the mapping:

  broker             the identity policy of the broker's principal: assume,
                     tag and set the source identity of exactly the mapping's
                     team roles, in every account (always every team role,
                     also with --team: it is one policy of one principal);
                     with --state-table, also the DynamoDB actions the shared
                     store needs on that one table (statement SharedStateTable);
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

--state-table is the ARN of the DynamoDB table of mapping_store: dynamodb
(arn:aws:dynamodb:REGION:ACCOUNT:table/NAME; docs/dynamodb.md): the broker
policy then allows DescribeTable, GetItem, PutItem, Query and UpdateItem on
that table alone, not its indexes or streams. Leave it out with the file store.

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
DIR and prints the aws commands that apply them.

--check proves the policies instead, offline: it builds a matrix of
identities (one per rule, teammates, excluded people, awkward usernames,
someone in no team) × notebooks (each person's, and variants that must be
refused), asks the broker's decision and IAM's (an IAM policy evaluator over
these policies, for every team session the broker could ask for on the
person's behalf) for each pair, and exits 1 if IAM would allow anything the
broker refuses, or refuse an open the broker makes. It names the pairs only
the broker can refuse (team membership, and any broker_only grant), so you
know where the broker stands alone. -o json prints the whole report.`,
		Example: `  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --team fraud
  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --all \
      --source-vpce vpce-0a1b2c3d4e5f67890 --user-ip 203.0.113.0/24 --out policies/
  secds admin iam --broker-role arn:aws:iam::111122223333:user/secds-broker --all -f teams.yaml
  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --all \
      --state-table arn:aws:dynamodb:eu-west-1:111122223333:table/secds-state --out policies/
  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --check -f teams.yaml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.iam),
		// With -f it works offline: the token store waits until the broker
		// is asked for its mapping.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
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
	f.StringVar(&in.Options.StateTable, "state-table", "", "ARN of the DynamoDB table of mapping_store: dynamodb (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME): the broker policy may use it")
	f.StringVar(&in.OutDir, "out", "", "write TEAM.trust.json, TEAM.permissions.json and broker.json into this directory")
	f.BoolVar(&in.Check, "check", false, "prove offline that IAM refuses whatever the broker refuses for this mapping (exit 1 if not)")
	out.add(cmd)
	cmd.Flag("output").Usage = "with --check: the report as text or json"
	return cmd
}

// errNoBrokerRole says that --broker-role is missing, with the command as
// given plus the flag as the example.
func errNoBrokerRole(in iamInput) error {
	ex := "secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker"
	switch {
	case in.Check:
		ex += " --check"
	case in.Team != "":
		ex += " --team " + in.Team
	default:
		ex += " --all"
	}
	if in.File != "" {
		ex += " -f " + in.File
	}
	return Exitf(ExitUsage, "--broker-role is missing: the ARN of the IAM role (or IAM user) the broker runs as, which the team roles' trust policies admit. For example:\n  %s", ex)
}

// iam is secds admin iam.
func (a *App) iam(ctx context.Context, in iamInput) error {
	m, err := a.iamMapping(ctx, in.File)
	if err != nil {
		return err
	}
	if in.Check {
		return a.iamCheck(m, in)
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

// iamCheck is secds admin iam --check.
func (a *App) iamCheck(m *abac.Mapping, in iamInput) error {
	ids, notebooks := iamcheck.Synthesize(m)
	r, err := iamcheck.Check(m, ids, notebooks, iamcheck.Options{Policy: in.Options})
	if err != nil {
		return Exitf(ExitUsage, "%v", err)
	}
	if in.JSON {
		err = writeJSON(a.Stdout(), r)
	} else {
		err = r.WriteText(a.Stdout())
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		return Exitf(ExitFailure, "IAM disagrees with the broker on %d pair(s): IAM looser on %d, stricter on %d", len(r.Looser)+len(r.Stricter), len(r.Looser), len(r.Stricter))
	}
	return nil
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
