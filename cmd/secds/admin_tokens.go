package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/secds/secds/cmd/secds/cli"
)

// revokeRequest and revocation are POST /api/v1/admin/tokens/revoke.
type (
	revokeRequest struct {
		Username string `json:"username,omitempty"`
		Subject  string `json:"subject,omitempty"`
	}
	revocation struct {
		Username      string    `json:"username,omitempty"`
		Subject       string    `json:"subject,omitempty"`
		RevokedBefore time.Time `json:"revoked_before"`
	}
)

func tokensCmd(a *cli.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Revoke people's secds CLI tokens",
		Args:  usage(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(revokeCmd(a))
	return cmd
}

func revokeCmd(a *cli.App) *cobra.Command {
	var subject string
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
		Args: usage(cobra.MaximumNArgs(1)),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			asJSON, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			var req revokeRequest
			switch {
			case len(args) == 1 && subject == "":
				req.Username = args[0]
			case len(args) == 0 && subject != "":
				req.Subject = subject
			default:
				return cli.Exitf(cli.ExitUsage, "name one person: secds admin tokens revoke USER, or --subject SUB")
			}
			var res revocation
			if err := a.Do(cmd.Context(), http.MethodPost, "/admin/tokens/revoke", req, &res); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.Stdout(), res)
			}
			who := res.Username
			if who == "" {
				who = "subject " + res.Subject
			}
			fmt.Fprintf(a.Stdout(), "Revoked every secds CLI token of %s issued before %s.\nThey can sign in again with secds login; remove them from the mapping to cut them off.\n",
				who, res.RevokedBefore.Local().Format("Mon 2 Jan 15:04:05 MST"))
			return nil
		}),
	}
	cmd.Flags().StringVar(&subject, "subject", "", "the person's subject (sub) at the identity provider, instead of USER")
	addOutput(cmd)
	return cmd
}
