package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// studioFlags adds secds open's Studio flags.
func studioFlags(cmd *cobra.Command, req *api.OpenRequest) {
	cmd.Flags().BoolVar(&req.Studio, "studio", false, "open your team's SageMaker Studio instead of a notebook instance")
	cmd.Flags().StringVar(&req.Space, "space", "", "the Studio space to open (implies --studio)")
}

// studioArgs checks the Studio flags against the rest of the request.
func studioArgs(req *api.OpenRequest) error {
	if req.Space != "" {
		req.Studio = true
	}
	if req.Studio && req.Notebook != "" {
		return Exitf(ExitUsage, "--studio opens SageMaker Studio, not notebook %s: leave out the notebook, or --studio and --space", req.Notebook)
	}
	return nil
}

// target names what a link opens, for the messages around it.
func target(res *api.OpenResponse) string {
	if st := res.Studio; st != nil {
		s := fmt.Sprintf("SageMaker Studio (team %s, user profile %s", res.Team, st.UserProfile)
		if st.Space != "" {
			s += ", space " + st.Space
		}
		return s + ")"
	}
	return fmt.Sprintf("notebook %s (team %s)", res.Notebook, res.Team)
}

// linkLifetime is how long the link of res works, in words.
func linkLifetime(res *api.OpenResponse) string {
	if res.Studio != nil {
		return "a minute"
	}
	return "5 minutes"
}

// printStudios prints secds list's Studio targets, if any.
func (a *App) printStudios(m *api.MeResponse) {
	if len(m.Studios) == 0 {
		return
	}
	w := a.env.Stdout
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STUDIO\tTEAM\tUSER PROFILE\tSPACES")
	for _, st := range m.Studios {
		spaces := strings.Join(st.Spaces, ", ")
		if st.Problem != nil {
			spaces = "cannot be opened: " + st.Problem.Message
		} else if spaces == "" {
			spaces = "-"
		}
		if c := st.Compliance; c != nil && st.Problem == nil && !c.Compliant {
			spaces += " (" + c.Summary() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.DomainID, st.Team, st.UserProfile, spaces)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "Open with: secds open --studio [--team TEAM] [--space SPACE]")
}
