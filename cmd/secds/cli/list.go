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
"name", "status", "starts", "compliance"}], "studios": [{"team", "domain_id",
"user_profile", "spaces", "problem"}], "admin": bool, "problem": {...}}
where starts is true when the notebook is not running and secds open starts
it (the team allows it) or waits for it (it is starting), compliance (when
the team has a require block) says whether the notebook meets it, and
problem, when present, says why nothing is listed.

The SECDS OPEN column says what secds open does with each notebook: opens
it, starts it (and waits), waits for it, or cannot (not running, and the
team does not let secds start it: ask the platform team).`,
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
	checked := false
	for _, nb := range m.Notebooks {
		checked = checked || nb.Compliance != nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if checked {
		fmt.Fprintln(tw, "NOTEBOOK\tTEAM\tSTATUS\tSECDS OPEN\tREQUIREMENTS")
	} else {
		fmt.Fprintln(tw, "NOTEBOOK\tTEAM\tSTATUS\tSECDS OPEN")
	}
	for _, nb := range m.Notebooks {
		open := opening(nb)
		if c := nb.Compliance; c != nil && c.Mode == "enforce" && len(c.Unmet) > 0 {
			open = "cannot: requirements not met"
		}
		if checked {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", nb.Name, nb.Team, nb.Status, open, orDash(nb.Compliance.Summary()))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", nb.Name, nb.Team, nb.Status, open)
		}
	}
	_ = tw.Flush()
}

// opening says what secds open does with a notebook.
func opening(nb api.Notebook) string {
	switch {
	case nb.Status == "InService":
		return "opens it"
	case nb.Starts && (nb.Status == "Stopped" || nb.Status == "Stopping"):
		return "starts it"
	case nb.Starts:
		return "waits for it"
	}
	return "cannot: not running"
}
