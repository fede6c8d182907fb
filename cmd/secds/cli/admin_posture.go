package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

type postureInput struct {
	File string
	JSON bool
}

func (a *App) postureCmd() *cobra.Command {
	var file string
	var out outputFlag
	parse := func(*cobra.Command, []string) (in postureInput, err error) {
		in.JSON, err = out.json()
		in.File = file
		return in, err
	}
	cmd := &cobra.Command{
		Use:   "posture [-f FILE]",
		Short: "List every notebook the teams can reach, with its compliance",
		Long: `List every notebook tagged for a team of the mapping, whoever owns it, and
check it against the team's require block (direct internet access, root
access, KMS key, subnets, security groups, instance types, execution roles).

With -f FILE the require blocks come from that mapping (validated, stored
nowhere), so the estate can be seen before a block is added or switched from
warn to enforce. Without, the live mapping's.

The team roles are assumed in your name, so CloudTrail shows you as the
source identity; a notebook with an owner tag is described in a session with
its owner's tags, as an open by its owner would.`,
		Example: `  secds admin posture
  secds admin posture -f teams-with-require.yaml -o json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.posture),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "a mapping whose require blocks to check against (- for stdin)")
	out.add(cmd)
	return cmd
}

// posture is secds admin posture.
func (a *App) posture(ctx context.Context, in postureInput) error {
	var req api.PostureRequest
	if in.File != "" {
		b, err := a.readFile(in.File)
		if err != nil {
			return err
		}
		req.Mapping = string(b)
	}
	var x api.PostureResponse
	if err := a.Do(ctx, http.MethodPost, "/admin/posture", req, &x); err != nil {
		return err
	}
	if in.JSON {
		return writeJSON(a.Stdout(), x)
	}
	return printPosture(a, x)
}

func printPosture(a *App, x api.PostureResponse) error {
	w := a.Stdout()
	source := fmt.Sprintf("the live mapping (version %d)", x.MappingVersion)
	if x.MappingVersion == 0 {
		source = "the proposed mapping"
	}
	var compliant, unmet, refused, unknown, unchecked int
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tNOTEBOOK\tSTATUS\tMODE\tCOMPLIANT\tUNMET")
	for _, nb := range x.Notebooks {
		mode, ok, miss := "-", "no requirements", ""
		switch c := nb.Compliance; {
		case c == nil:
			unchecked++
		case c.Unknown != "":
			mode, ok, miss = c.Mode, "unknown", c.Unknown
			unknown++
		case c.Compliant:
			mode, ok = c.Mode, "yes"
			compliant++
		default:
			mode, ok = c.Mode, "no"
			var parts []string
			for _, u := range c.Unmet {
				parts = append(parts, u.Requirement+"="+u.Actual)
			}
			miss = strings.Join(parts, ", ")
			unmet++
			if c.Mode == "enforce" {
				refused++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", nb.Team, nb.Name, nb.Status, mode, ok, miss)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	noun := "notebooks"
	if len(x.Notebooks) == 1 {
		noun = "notebook"
	}
	fmt.Fprintf(w, "\n%d %s against %s: %d compliant, %d not (%d refused under enforce), %d unknown, %d with no requirements.\n",
		len(x.Notebooks), noun, source, compliant, unmet, refused, unknown, unchecked)
	if len(x.Studios) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TEAM\tSTUDIO DOMAIN\tCOMPLIANCE")
		for _, st := range x.Studios {
			state := "no requirements"
			switch {
			case st.Problem != "":
				state = "unknown: " + st.Problem
			case st.Compliance != nil:
				state = st.Compliance.Summary()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Team, st.DomainID, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, p := range x.Problems {
		fmt.Fprintf(a.Stderr(), "Team %s: %s\n", p.Team, p.Message)
	}
	return nil
}
