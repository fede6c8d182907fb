package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// whoamiInput is what secds whoami is asked.
type whoamiInput struct{ JSON bool }

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
		RunE: useCase(a, func(*cobra.Command, []string) (in whoamiInput, err error) {
			in.JSON, err = out.json()
			return in, err
		}, a.whoami),
	}
	out.add(cmd)
	return cmd
}

// whoami is secds whoami.
func (a *App) whoami(ctx context.Context, in whoamiInput) error {
	m, err := a.me(ctx, false)
	if err != nil {
		return err
	}
	p, err := a.profile()
	if err != nil {
		return err
	}
	if in.JSON {
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
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}
