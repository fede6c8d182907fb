package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// logoutInput is what secds logout is asked: nothing but the profile.
type logoutInput struct{}

func (a *App) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Delete the stored login from this machine",
		Long: `Delete the profile's broker token from the OS keyring and from the token
file. Broker tokens are signed, not stored by the broker, so this is what
ends the login here; a copy taken elsewhere would stay valid until it
expires (rotating the broker's token keys ends every login). Notebook tabs
already open stay open until their own session ends.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, func(*cobra.Command, []string) (logoutInput, error) { return logoutInput{}, nil }, a.logout),
	}
}

// logout is secds logout.
func (a *App) logout(context.Context, logoutInput) error {
	if err := a.ensure(); err != nil {
		return err
	}
	where := "profile " + a.profileName
	if p, err := a.profile(); err == nil {
		where = p.Broker + " (" + where + ")"
	}
	found, err := a.store.Delete(a.profileName)
	if err != nil {
		return err
	}
	if found {
		fmt.Fprintf(a.env.Stderr, "Logged out of %s: the token was deleted from this machine.\n", where)
	} else {
		fmt.Fprintf(a.env.Stderr, "Not logged in to %s; nothing to delete.\n", where)
	}
	return nil
}
