package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// openInput is what secds open is asked.
type openInput struct {
	Request  api.OpenRequest
	PrintURL bool // print the link rather than open it
	JSON     bool // print it as JSON (with PrintURL)
	Login    loginOptions
	Wait     waitOptions
}

func (a *App) openCmd() *cobra.Command {
	var in openInput
	var out outputFlag
	parse := func(_ *cobra.Command, args []string) (openInput, error) {
		in := in
		var err error
		if in.JSON, err = out.json(); err != nil {
			return in, err
		}
		// JSON is for a program to read: it prints the link, never opens it.
		in.PrintURL = in.PrintURL || in.JSON
		if len(args) == 1 {
			in.Request.Notebook = args[0]
		}
		return in, studioArgs(&in.Request)
	}
	cmd := &cobra.Command{
		Use:   "open [NOTEBOOK]",
		Short: "Open your notebook in the browser",
		Long: `Ask the broker for a sign-in link to a notebook and open it in the
browser. Logs in first when there is no valid login.

Without NOTEBOOK, the broker picks your only notebook. When several fit,
secds asks which one on a terminal, and otherwise fails (exit code 2)
listing them, so name one (and --team when you are in several teams).

The browser is handed a one-time address on 127.0.0.1 that forwards it
to the link, so the link itself never shows in the process list; secds
waits up to a minute for the browser to follow it.

A stopped notebook is started when your team allows it (and waited for,
as one that is starting or stopping is): secds shows the state and the
time waited, and opens the notebook once it runs, waiting at most
--wait-timeout (10m). --no-wait returns at once instead: with no link yet
it prints the state and exits with code 7. A stopped notebook your team may
not start is refused with whom to ask (exit code 4).

--studio opens your team's SageMaker Studio instead (--space S: one of
its spaces; secds list shows them); its link works once, within a minute.

A notebook's link works once, within 5 minutes. --print-url prints it instead of
opening it, for scripts or another browser; --output json prints
{"url", "expires_at", "team", "notebook"} on stdout (and implies
--print-url). --no-browser logs in without a
browser here (paste mode, as in secds login --no-browser) and prints the
link.`,
		Example: `  secds open
  secds open --studio --space marketing-shared
  secds open fraud-alice
  secds open fraud-alice --team fraud --print-url
  secds open -o json | jq -r .url`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: useCase(a, parse, a.openNotebook),
	}
	cmd.Flags().StringVar(&in.Request.Team, "team", "", "the team to open a notebook of, when you are in several")
	cmd.Flags().BoolVar(&in.PrintURL, "print-url", false, "print the notebook's sign-in link instead of opening it")
	cmd.Flags().BoolVar(&in.Wait.NoWait, "no-wait", false, "do not wait for a notebook that is starting: print its state and exit with code 7")
	cmd.Flags().DurationVar(&in.Wait.Timeout, "wait-timeout", defaultWaitTimeout, "how long to wait for a notebook to start")
	studioFlags(cmd, &in.Request)
	out.add(cmd)
	in.Login.flags(cmd, "log in without a browser here (paste mode) and print the link instead of opening it")
	return cmd
}

// openNotebook is secds open.
func (a *App) openNotebook(ctx context.Context, in openInput) error {
	a.loginOpts = in.Login
	res, err := a.open(ctx, in.Request)
	if err != nil {
		return err
	}
	if res.waiting() {
		if in.Wait.NoWait {
			return a.notReady(res, in.JSON)
		}
		if res, err = a.waitFor(ctx, res, in.Wait); err != nil {
			return err
		}
	}
	switch {
	case in.JSON:
		return writeJSON(a.env.Stdout, res.OpenResponse)
	case in.PrintURL || in.Login.paste:
		fmt.Fprintln(a.env.Stdout, res.URL)
		return nil
	}
	// The URL itself never goes on the browser command's argv, where every
	// local user can read it.
	if opened, err := a.openInBrowser(ctx, res.URL, in.Login.browserCommand); !opened {
		fmt.Fprintf(a.env.Stderr, "Could not open a browser (%v).\nOpen this link for %s within %s; it works once:\n", err, target(&res.OpenResponse), linkLifetime(&res.OpenResponse))
		fmt.Fprintln(a.env.Stdout, res.URL)
		return nil
	} else if err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stderr, "Opened %s in your browser.\n", target(&res.OpenResponse))
	return nil
}

// open asks the broker for a notebook, asking the person to choose when
// several fit and a terminal is there to answer.
func (a *App) open(ctx context.Context, req api.OpenRequest) (*openReply, error) {
	var res openReply
	err := a.Do(ctx, http.MethodPost, "/open", req, &res)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Code != api.CodeChooseNotebook {
		return &res, err
	}
	var body api.ChoicesResponse
	if json.Unmarshal(ae.raw, &body) != nil || len(body.Choices) == 0 {
		return nil, err
	}
	running := runningChoices(body.Choices)
	if len(running) == 0 {
		return nil, Exitf(ExitDenied, "none of your notebooks is running, and your team does not let secds start them:\n%s\nAsk the platform team to start one, then run secds open again.",
			choiceTable(body.Choices, nil))
	}
	if !a.env.Interactive() {
		return nil, Exitf(ExitUsage, "several notebooks are yours; name one:\n%s\nFor example: secds open %s --team %s",
			choiceTable(body.Choices, nil), running[0].Name, running[0].Team)
	}
	fmt.Fprintf(a.env.Stderr, "Several notebooks are yours:\n%s", choiceTable(body.Choices, running))
	answer, rerr := a.readLine(ctx, fmt.Sprintf("Open which one? [1-%d]: ", len(running)))
	n, cerr := strconv.Atoi(answer)
	if rerr != nil || cerr != nil || n < 1 || n > len(running) {
		return nil, Exitf(ExitUsage, "no notebook chosen. Name one: secds open NOTEBOOK --team TEAM")
	}
	pick := running[n-1]
	res = openReply{}
	err = a.Do(ctx, http.MethodPost, "/open", api.OpenRequest{Team: pick.Team, Notebook: pick.Name}, &res)
	return &res, err
}

// runningChoices are the choices that can be opened now (InService) or
// that opening starts (Starts), in order.
func runningChoices(choices []api.Notebook) []api.Notebook {
	var out []api.Notebook
	for _, c := range choices {
		if c.Status == "InService" || c.Starts {
			out = append(out, c)
		}
	}
	return out
}

// choiceTable lists the choices; with numbered, the ones in it get the
// number to answer with, and the others say they cannot be opened now.
func choiceTable(choices, numbered []api.Notebook) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range choices {
		i := slices.IndexFunc(numbered, func(n api.Notebook) bool { return n.Name == c.Name && n.Team == c.Team })
		switch {
		case numbered == nil:
			fmt.Fprintf(tw, "  %s\tteam %s\t%s\n", c.Name, c.Team, c.Status)
		case i >= 0 && c.Starts:
			fmt.Fprintf(tw, "  %d)  %s\tteam %s\t%s (opening it starts it)\n", i+1, c.Name, c.Team, c.Status)
		case i >= 0:
			fmt.Fprintf(tw, "  %d)  %s\tteam %s\t%s\n", i+1, c.Name, c.Team, c.Status)
		default:
			fmt.Fprintf(tw, "      %s\tteam %s\t%s (not running: cannot be opened now)\n", c.Name, c.Team, c.Status)
		}
	}
	_ = tw.Flush()
	return b.String()
}
