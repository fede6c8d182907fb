package cli

import (
	"context"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// revokeInput is what secds admin tokens revoke is asked.
type revokeInput struct {
	Request api.RevokeRequest
	JSON    bool
}

func (a *App) tokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Revoke people's secds CLI tokens",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.revokeCmd())
	return cmd
}

func (a *App) revokeCmd() *cobra.Command {
	var subject string
	var out outputFlag
	parse := func(_ *cobra.Command, args []string) (in revokeInput, err error) {
		if in.JSON, err = out.json(); err != nil {
			return in, err
		}
		switch {
		case len(args) == 1 && subject == "":
			in.Request.Username = args[0]
		case len(args) == 0 && subject != "":
			in.Request.Subject = subject
		default:
			return in, Exitf(ExitUsage, "name one person: secds admin tokens revoke USER, or --subject SUB")
		}
		return in, nil
	}
	cmd := &cobra.Command{
		Use:   "revoke USER | --subject SUB",
		Short: "Refuse every CLI token a person holds now, on every replica",
		Long: `Revoke every secds CLI token issued to a person until now: the broker
refuses them on every replica from the next request on, and writes the
revocation to the audit log. Use it when a token may have leaked (a lost
laptop, a token file copied somewhere).

USER is the username the audit log shows ("user"); --subject names the
person by their identity provider subject ("sub") instead. The person can
sign in again with secds login and gets a new token; to cut them off, remove
them from the team mapping or the identity provider as well. Browser
sessions are not affected.`,
		Example: `  secds admin tokens revoke alice
  secds admin tokens revoke --subject 00u1a2b3c4d5e6f7g8h9`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: useCase(a, parse, a.revoke),
	}
	cmd.Flags().StringVar(&subject, "subject", "", "the person's subject (sub) at the identity provider, instead of USER")
	out.add(cmd)
	return cmd
}

// revoke is secds admin tokens revoke.
func (a *App) revoke(ctx context.Context, in revokeInput) error {
	var res api.RevokeResponse
	if err := a.Do(ctx, http.MethodPost, "/admin/tokens/revoke", in.Request, &res); err != nil {
		return err
	}
	if in.JSON {
		return writeJSON(a.Stdout(), res)
	}
	who := res.Username
	if who == "" {
		who = "subject " + res.Subject
	}
	fmt.Fprintf(a.Stdout(), "Revoked every secds CLI token of %s issued before %s.\nThey can sign in again with secds login; remove them from the mapping to cut them off.\n",
		who, res.RevokedBefore.Local().Format("Mon 2 Jan 15:04:05 MST"))
	return nil
}
