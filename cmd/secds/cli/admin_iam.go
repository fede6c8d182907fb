package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/iampolicy"
)

// iamCmd prints the IAM policies each team role needs. They are computed
// here, from the mapping (fetched from the broker, or a local file), not by
// the broker: the generator is pure, works on a file under review before it
// is applied, and the broker needs no knowledge of its own principal or
// network to serve it.
// iamInput is what secds admin iam is asked: one team or all, the mapping
// (File, or "" for the broker's current one), and where the policies go.
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
		Short: "Print the IAM trust and permission policies of the team roles",
		Long: `Print, as JSON, what each team's IAM role needs from the mapping:

  trust_policy       lets only the broker's role (--broker-role) assume it, with
                     sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity,
                     and only with this team's team tag, a user tag, the
                     mapping's session tag keys and a source identity;
  permission_policy  lets the session list notebooks and their tags, and
                     describe and presign only notebooks (and Studio user
                     profiles) whose team tag equals the session's team tag,
                     with an explicit deny for any other.

--source-vpce or --source-ip pin the team sessions' SageMaker calls to the
broker's VPC endpoint or NAT addresses. The mapping is the broker's current
one, or -f FILE (a change under review). --out DIR writes one file per
policy and prints the aws commands that apply them.`,
		Example: `  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --team fraud
  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --all --source-vpce vpce-0a1b2c3d4e5f67890 --out policies/
  secds admin iam --broker-role ARN --all -f teams.yaml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.iam),
	}
	f := cmd.Flags()
	f.StringVar(&in.Options.BrokerPrincipal, "broker-role", "", "ARN of the IAM role the broker runs as (required)")
	f.StringVar(&in.Team, "team", "", "the team whose role to print")
	f.BoolVar(&in.All, "all", false, "every team's role")
	f.StringVarP(&in.File, "file", "f", "", "a mapping file instead of the broker's current mapping")
	f.StringSliceVar(&in.Options.SourceVPCEs, "source-vpce", nil, "pin SageMaker calls to these VPC endpoint IDs (aws:SourceVpce)")
	f.StringSliceVar(&in.Options.SourceIPs, "source-ip", nil, "pin SageMaker calls to these CIDR ranges (aws:SourceIp; not through a VPC endpoint)")
	f.StringVar(&in.OutDir, "out", "", "write TEAM.trust.json and TEAM.permissions.json into this directory")
	_ = cmd.MarkFlagRequired("broker-role")
	return cmd
}

// iam is secds admin iam.
func (a *App) iam(ctx context.Context, in iamInput) error {
	var content []byte
	name := in.File
	if in.File != "" {
		var err error
		if content, err = a.readFile(in.File); err != nil {
			return err
		}
	} else {
		d, err := admin{a}.mapping(ctx)
		if err != nil {
			return err
		}
		content, name = []byte(d.Content), fmt.Sprintf("mapping version %d", d.Version)
	}
	m, err := abac.Parse(name, content)
	if err != nil {
		return Exitf(ExitFailure, "%v", err)
	}
	ps, err := iampolicy.ForMapping(m, in.Team, in.Options)
	if err != nil {
		return Exitf(ExitUsage, "%v", err)
	}
	if in.OutDir != "" {
		return writePolicies(a, in.OutDir, ps)
	}
	if in.Team != "" {
		return writeJSON(a.Stdout(), ps[0])
	}
	return writeJSON(a.Stdout(), ps)
}

func writePolicies(a *App, dir string, ps []iampolicy.TeamPolicies) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var cmds []string
	for _, p := range ps {
		for kind, doc := range map[string]iampolicy.Document{"trust": p.Trust, "permissions": p.Permissions} {
			path := filepath.Join(dir, p.Team+"."+kind+".json")
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			err = writeJSON(f, doc)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
		}
		base := filepath.Join(dir, p.Team)
		cmds = append(cmds,
			fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://%s.trust.json", p.RoleName, base),
			fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name secds-notebooks --policy-document file://%s.permissions.json", p.RoleName, base))
	}
	fmt.Fprintf(a.Stderr(), "Wrote %d policies to %s. Apply them with:\n", 2*len(ps), dir)
	fmt.Fprintln(a.Stdout(), strings.Join(cmds, "\n"))
	return nil
}
