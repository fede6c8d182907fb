package cli

import (
	"github.com/spf13/cobra"
)

// adminCmd is `secds admin`: the team mapping, explain and IAM policies,
// for members of the mapping's admin groups.
func (a *App) adminCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer the broker: the team mapping, explain, IAM policies, tokens",
		Long: `Commands for secds admins (members of the team mapping's admin_groups).
Every change to the mapping is validated first, needs the version it was
based on (a change made meanwhile is refused, not overwritten), is kept in
the mapping's history and written to the audit log.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.mappingCmd(), a.explainCmd(), a.postureCmd(), a.iamCmd(), a.tokensCmd())
	return cmd
}
