package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secds/secds/cmd/secds/cli"
)

// explainRequest and explanation are POST /api/v1/admin/explain.
type (
	explainRequest struct {
		Username  string         `json:"username,omitempty"`
		Email     string         `json:"email,omitempty"`
		Groups    []string       `json:"groups,omitempty"`
		Claims    map[string]any `json:"claims,omitempty"`
		Notebooks bool           `json:"notebooks,omitempty"`
	}
	explanation struct {
		Identity struct {
			Username string   `json:"username"`
			Email    string   `json:"email"`
			Groups   []string `json:"groups"`
		} `json:"identity"`
		Admin          bool     `json:"admin"`
		MappingVersion int64    `json:"mapping_version"`
		Granted        []string `json:"granted"`
		Teams          []struct {
			Team    string `json:"team"`
			Matched bool   `json:"matched"`
			Granted bool   `json:"granted"`
			Reason  string `json:"reason"`
			Grant   *struct {
				RoleARN      string            `json:"role_arn"`
				NotebookTags map[string]string `json:"notebook_tags"`
			} `json:"grant"`
		} `json:"teams"`
		Notebooks []struct {
			Team   string `json:"team"`
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"notebooks"`
		NotebooksProblem *struct {
			Message string `json:"message"`
		} `json:"notebooks_problem"`
	}
)

func explainCmd(a *cli.App) *cobra.Command {
	var req explainRequest
	var user, groups, claimsFile string
	cmd := &cobra.Command{
		Use:   "explain --user USER [--groups a,b] | --claims FILE",
		Short: "Say which teams, roles and notebooks a person gets, and why",
		Long: `Evaluate the live mapping for a person as their identity provider would
describe them, and say for every team whether it matched and why.

--user takes an email (user@corp) or a username; --email and --username set
either explicitly. --claims FILE reads a JSON object of claims: with a user,
extra claims (department, ...); alone, a whole ID token's claims, read with the
broker's claim settings exactly as at sign-in.

--notebooks also lists the notebooks they would be offered. It assumes each
team role as that person, so CloudTrail shows them as the source identity.`,
		Example: `  secds admin explain --user alice@corp.example --groups ds-fraud,staff
  secds admin explain --claims id-token-claims.json --notebooks`,
		Args: usage(cobra.NoArgs),
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			asJSON, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			if user != "" {
				if strings.Contains(user, "@") && req.Email == "" {
					req.Email = user
				} else if req.Username == "" {
					req.Username = user
				}
			}
			for _, g := range strings.Split(groups, ",") {
				if g = strings.TrimSpace(g); g != "" {
					req.Groups = append(req.Groups, g)
				}
			}
			if claimsFile != "" {
				b, err := readFile(claimsFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &req.Claims); err != nil {
					return cli.Exitf(cli.ExitUsage, "%s is not a JSON object of claims: %v", claimsFile, err)
				}
			}
			if req.Username == "" && req.Email == "" && len(req.Groups) == 0 && len(req.Claims) == 0 {
				return cli.Exitf(cli.ExitUsage, "say whom to explain: --user, --groups or --claims FILE")
			}
			var x explanation
			if err := a.Do(cmd.Context(), http.MethodPost, "/admin/explain", req, &x); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.Stdout(), x)
			}
			return printExplanation(a, x)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the person: an email or a username")
	f.StringVar(&req.Username, "username", "", "their username, as the identity provider sends it")
	f.StringVar(&req.Email, "email", "", "their email")
	f.StringVar(&groups, "groups", "", "their groups, comma-separated")
	f.StringVar(&claimsFile, "claims", "", "a JSON file of claims (alone: an ID token's claims)")
	f.BoolVar(&req.Notebooks, "notebooks", false, "also list their notebooks (assumes the team roles as them)")
	addOutput(cmd)
	return cmd
}

func printExplanation(a *cli.App, x explanation) error {
	w := a.Stdout()
	who := x.Identity.Username
	if len(x.Identity.Groups) > 0 {
		who += " (groups " + strings.Join(x.Identity.Groups, ", ") + ")"
	}
	teams := "no team"
	if len(x.Granted) > 0 {
		teams = "teams " + strings.Join(x.Granted, ", ")
	}
	fmt.Fprintf(w, "%s: %s, with mapping version %d", who, teams, x.MappingVersion)
	if x.Admin {
		fmt.Fprint(w, "; an admin")
	}
	fmt.Fprint(w, ".\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tRESULT\tROLE\tREASON")
	for _, t := range x.Teams {
		result, role := "no", "-"
		switch {
		case t.Granted:
			result = "granted"
		case t.Matched:
			result = "matched, not granted"
		}
		if t.Grant != nil {
			role = t.Grant.RoleARN
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Team, result, role, t.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(x.Notebooks) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NOTEBOOK\tTEAM\tSTATUS")
		for _, nb := range x.Notebooks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", nb.Name, nb.Team, nb.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if x.NotebooksProblem != nil {
		fmt.Fprintf(a.Stderr(), "Notebooks: %s\n", x.NotebooksProblem.Message)
	}
	return nil
}
