package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/secds/secds/cmd/secds/cli"
)

func init() { cli.AddCommand(adminCmd) }

// adminCmd is `secds admin`: the team mapping, explain and IAM policies,
// for members of the mapping's admin groups.
func adminCmd(a *cli.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer the broker: the team mapping, explain, IAM policies, tokens",
		Long: `Commands for secds admins (members of the team mapping's admin_groups).
Every change to the mapping is validated first, needs the version it was
based on (a change made meanwhile is refused, not overwritten), is kept in
the mapping's history and written to the audit log.`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(mappingCmd(a), explainCmd(a), iamCmd(a), tokensCmd(a))
	return cmd
}

// run adapts a command body: an error that carries no exit code (an
// ExitError or the broker's APIError) is a plain failure.
func run(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		var ee *cli.ExitError
		var ae *cli.APIError
		if err != nil && !errors.As(err, &ee) && !errors.As(err, &ae) {
			return &cli.ExitError{Code: cli.ExitFailure, Err: err}
		}
		return err
	}
}

// usage makes a cobra argument check's failure a usage error.
func usage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return cli.Exitf(cli.ExitUsage, "%v. Run '%s --help' for usage.", err, cmd.CommandPath())
		}
		return nil
	}
}

// outputFormat reads -o text|json.
func outputFormat(cmd *cobra.Command) (asJSON bool, err error) {
	switch f, _ := cmd.Flags().GetString("output"); f {
	case "", "text":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, cli.Exitf(cli.ExitUsage, "--output %q is not a format: use text or json", f)
	}
}

func addOutput(cmd *cobra.Command) {
	cmd.Flags().StringP("output", "o", "text", "output format: text or json")
}
