package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (a *App) whoamiCmd() *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who you are logged in as, and your teams",
		Long: `Ask the broker who the stored login belongs to: username, email, groups,
teams, and until when the login lasts. Does not log in: without a valid
login it says so and exits with code 3.`,
		Example: `  secds whoami
  secds whoami -o json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			m, err := a.me(cmd.Context(), false)
			if err != nil {
				return err
			}
			p, err := a.profile()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.env.Stdout, map[string]any{
					"profile": p.Name, "broker": p.Broker, "sub": m.Identity.Subject, "username": m.Identity.Username,
					"email": m.Identity.Email, "groups": m.Identity.Groups, "teams": m.Teams, "admin": m.Admin,
					"token_expires_at": m.TokenExpiresAt,
				})
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "%s", m.Identity.Username)
			if m.Identity.Email != "" {
				fmt.Fprintf(w, " <%s>", m.Identity.Email)
			}
			fmt.Fprintf(w, "\nbroker:  %s (profile %s)\n", p.Broker, p.Name)
			fmt.Fprintf(w, "groups:  %s\n", orNone(m.Identity.Groups))
			fmt.Fprintf(w, "teams:   %s\n", orNone(m.Teams))
			if m.Admin {
				fmt.Fprintln(w, "admin:   yes")
			}
			if !m.TokenExpiresAt.IsZero() {
				fmt.Fprintf(w, "login valid until %s\n", m.TokenExpiresAt.Local().Format(time.RFC1123))
			}
			return nil
		}),
	}
	out.add(cmd)
	return cmd
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}
