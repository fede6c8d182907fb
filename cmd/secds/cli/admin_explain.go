package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// explainInput is what secds admin explain is asked. ClaimsFile is read
// when the use case runs, into Request.Claims.
type explainInput struct {
	Request    api.ExplainRequest
	ClaimsFile string
	JSON       bool
}

func (a *App) explainCmd() *cobra.Command {
	var user, username, email, groups, claimsFile string
	var notebooks bool
	var out outputFlag
	parse := func(*cobra.Command, []string) (in explainInput, err error) {
		if in.JSON, err = out.json(); err != nil {
			return in, err
		}
		in.Request = api.ExplainRequest{Username: username, Email: email, Notebooks: notebooks}
		if user != "" {
			if strings.Contains(user, "@") && in.Request.Email == "" {
				in.Request.Email = user
			} else if in.Request.Username == "" {
				in.Request.Username = user
			}
		}
		for _, g := range strings.Split(groups, ",") {
			if g = strings.TrimSpace(g); g != "" {
				in.Request.Groups = append(in.Request.Groups, g)
			}
		}
		in.ClaimsFile = claimsFile
		if nobody(in.Request) && in.ClaimsFile == "" {
			return in, errNobody
		}
		return in, nil
	}
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
		Example: `  secds admin explain --user alice --groups ds-fraud --notebooks   # the dev stack's alice
  secds admin explain --claims id-token-claims.json --notebooks`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.explain),
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the person: an email or a username")
	f.StringVar(&username, "username", "", "their username, as the identity provider sends it")
	f.StringVar(&email, "email", "", "their email")
	f.StringVar(&groups, "groups", "", "their groups, comma-separated")
	f.StringVar(&claimsFile, "claims", "", "a JSON file of claims (alone: an ID token's claims)")
	f.BoolVar(&notebooks, "notebooks", false, "also list their notebooks (assumes the team roles as them)")
	out.add(cmd)
	return cmd
}

var errNobody = Exitf(ExitUsage, "say whom to explain: --user, --groups or --claims FILE")

// nobody reports whether r describes no one.
func nobody(r api.ExplainRequest) bool {
	return r.Username == "" && r.Email == "" && len(r.Groups) == 0 && len(r.Claims) == 0
}

// explain is secds admin explain.
func (a *App) explain(ctx context.Context, in explainInput) error {
	if in.ClaimsFile != "" {
		b, err := a.readFile(in.ClaimsFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &in.Request.Claims); err != nil {
			return Exitf(ExitUsage, "%s is not a JSON object of claims: %v", in.ClaimsFile, err)
		}
		if nobody(in.Request) {
			return errNobody
		}
	}
	var x api.ExplainResponse
	if err := a.Do(ctx, http.MethodPost, "/admin/explain", in.Request, &x); err != nil {
		return err
	}
	if in.JSON {
		return writeJSON(a.Stdout(), x)
	}
	return printExplanation(a, x, in.Request.Notebooks)
}

// noNotebooks says why a person's notebook list is empty: the selectors of
// their teams matched no notebook, or they have no team.
func noNotebooks(x api.ExplainResponse) string {
	var sel []string
	for _, t := range x.Teams {
		if !t.Granted || t.Grant == nil {
			continue
		}
		tags := make([]string, 0, len(t.Grant.NotebookTags))
		for k, v := range t.Grant.NotebookTags {
			tags = append(tags, k+"="+v)
		}
		sort.Strings(tags)
		s := "team " + t.Team + ": notebooks tagged " + strings.Join(tags, ", ")
		if len(t.Grant.NotebookNames) > 0 {
			s += " named " + strings.Join(t.Grant.NotebookNames, " or ")
		}
		sel = append(sel, s)
	}
	if len(sel) == 0 {
		return "No notebooks: this identity is in no team."
	}
	return "No notebook is tagged for this identity (selector: " + strings.Join(sel, "; ") + ")."
}

func printExplanation(a *App, x api.ExplainResponse, notebooks bool) error {
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
	for _, t := range x.Teams {
		if t.Granted && t.Grant != nil && t.Grant.StartStopped {
			fmt.Fprintf(w, "Team %s starts a stopped notebook when it is opened (start_stopped).\n", t.Team)
		}
	}
	if len(x.Notebooks) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NOTEBOOK\tTEAM\tSTATUS\tSECDS OPEN\tREQUIREMENTS")
		for _, nb := range x.Notebooks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", nb.Name, nb.Team, nb.Status, opening(nb), orDash(nb.Compliance.Summary()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch {
	case x.NotebooksProblem != nil:
		fmt.Fprintf(a.Stderr(), "Notebooks: %s\n", x.NotebooksProblem.Message)
	case notebooks && len(x.Notebooks) == 0:
		fmt.Fprintf(w, "\n%s\n", noNotebooks(x))
	}
	return nil
}
