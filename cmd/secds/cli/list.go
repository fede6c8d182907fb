package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// listInput is what secds list is asked.
type listInput struct{ JSON bool }

func (a *App) listCmd() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your teams, the notebooks and the SageMaker Studio you may open",
		Long: `List the teams the broker's mapping gives you and, for each, the notebooks
you may open with their status. Logs in first when needed.

With --output json the result is {"teams": [...], "notebooks": [{"team",
"name", "status"}], "studios": [{"team", "domain_id", "user_profile",
"spaces", "problem"}], "admin": bool, "problem": {...}} where problem, when
present, says why nothing is listed.`,
		Example: `  secds list
  secds list -o json | jq -r '.notebooks[].name'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, func(*cobra.Command, []string) (in listInput, err error) {
			in.JSON, err = out.json()
			return in, err
		}, a.list),
	}
	out.add(cmd)
	return cmd
}

// list is secds list.
func (a *App) list(ctx context.Context, in listInput) error {
	m, err := a.me(ctx, true)
	if err != nil {
		return err
	}
	if in.JSON {
		if err := writeJSON(a.env.Stdout, map[string]any{"teams": m.Teams, "notebooks": m.Notebooks, "studios": m.Studios, "admin": m.Admin, "problem": m.Problem}); err != nil {
			return err
		}
	} else {
		a.printList(m)
		a.printStudios(m)
	}
	if m.Problem != nil {
		return &ExitError{Code: problemExitCode(m.Problem), Err: fmt.Errorf("%s", m.Problem.Message)}
	}
	return nil
}

func (a *App) printList(m *api.MeResponse) {
	w := a.env.Stdout
	if len(m.Teams) > 0 {
		fmt.Fprintf(w, "Teams: %s\n\n", strings.Join(m.Teams, ", "))
	}
	if len(m.Notebooks) == 0 {
		if m.Problem == nil {
			fmt.Fprintln(w, "No notebooks are tagged for you yet.")
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NOTEBOOK\tTEAM\tSTATUS")
	for _, nb := range m.Notebooks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", nb.Name, nb.Team, nb.Status)
	}
	_ = tw.Flush()
}
