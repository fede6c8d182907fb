package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// App is one run of the CLI: its environment and the selected profile.
type App struct {
	env         Env
	profileName string
	store       *tokenStore
	loginOpts   loginOptions            // set by the command that may log in
	stdin       *bufio.Reader           // one reader, so prompts do not lose buffered input
	caClients   map[string]*http.Client // by CA file, see httpClient
	// parsed, when set, receives each use case's input in place of running
	// it: tests check what the flags and arguments parse into this way.
	parsed func(input any)
}

// Stdout is where a command writes its result.
func (a *App) Stdout() io.Writer { return a.env.Stdout }

// Stderr is where a command writes progress and messages for people.
func (a *App) Stderr() io.Writer { return a.env.Stderr }

// Stdin is where prompts are answered.
func (a *App) Stdin() io.Reader { return a.env.Stdin }

// Main runs the CLI on the process's arguments and environment and returns
// the exit code.
func Main() int {
	ctx, stop := signalContext()
	defer stop()
	return Run(ctx, os.Args[1:], Env{})
}

// Run runs the CLI with args (without the program name) in env and returns
// the exit code. Errors are printed on env.Stderr.
func Run(ctx context.Context, args []string, env Env) int {
	return (&App{env: env.withDefaults()}).run(ctx, args)
}

func (a *App) run(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(a.env.Stdin)
	root.SetOut(a.env.Stdout)
	root.SetErr(a.env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	fmt.Fprintf(a.env.Stderr, "secds: %v\n", err)
	if code == ExitUsage && !isOurs(err) {
		// cobra's own refusals (a required flag not set): the help of the
		// command that refused says what it takes.
		path := root.CommandPath()
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.env.Stderr, "Run '%s --help' for usage.\n", path)
	}
	return code
}

func isOurs(err error) bool {
	var ee *ExitError
	var ae *APIError
	return errors.As(err, &ee) || errors.As(err, &ae)
}

func (a *App) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "secds",
		Short: "Open your SageMaker notebook through the secds broker",
		Long: `secds opens your team's SageMaker notebook from a terminal. It signs you in
through your company's identity provider in the browser (via the secds
broker), then asks the broker for a short-lived notebook link and opens it.
Nothing to install but this binary, nothing to configure but the broker's
address.

Start with:
  secds configure --broker https://notebooks.example.com
  secds open

Exit codes: 0 ok, 2 usage (bad arguments, no profile, several notebooks
fit), 3 not logged in or login failed, 4 refused by the broker (not yours,
no team, not found, stopped), 5 broker or AWS unavailable, 6 too many
requests (secds waits once, up to 5 seconds; the message says how long to
wait), 1 anything else (a mapping file with mistakes, for one).

Scripts, cron and CI: a command that needs a login signs in only when stdin
is a terminal. Otherwise, not logged in, it exits 3 at once with the command
to run (secds login, in a terminal).

Environment: SECDS_PROFILE selects the profile when --profile is not given.
Profiles live in $XDG_CONFIG_HOME/secds/config.yaml (or the OS's config
directory); tokens in the OS keyring, else in a 0600 file under
$XDG_CACHE_HOME/secds/tokens/.`,
		Version:           Version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.ensure() },
	}
	root.PersistentFlags().StringVar(&a.profileName, "profile", "", "broker profile to use (default $SECDS_PROFILE or \"default\")")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return Exitf(ExitUsage, "%v. Run '%s --help' for usage.", err, c.CommandPath())
	})
	root.AddCommand(a.configureCmd(), a.loginCmd(), a.openCmd(), a.listCmd(), a.whoamiCmd(), a.logoutCmd(), a.adminCmd())
	return root
}

// ensure resolves the profile name and the token store, once per run. The
// root's pre-run hook calls it, and so does every path to the broker, for
// commands with pre-run hooks of their own (cobra runs only the nearest).
func (a *App) ensure() error {
	if a.store != nil {
		return nil
	}
	if a.profileName == "" {
		a.profileName = a.env.Getenv("SECDS_PROFILE")
	}
	if a.profileName == "" {
		a.profileName = DefaultProfile
	}
	if err := checkProfileName(a.profileName); err != nil {
		return err
	}
	st, err := a.tokens()
	if err != nil {
		return err
	}
	a.store = st
	return nil
}

// useCase is a command's body: parse reads the flags and arguments into the
// use case's input, then run does the work. A parse error names the fix and
// is a usage error; an error from run that does not say its exit code is a
// plain failure.
func useCase[I any](a *App, parse func(cmd *cobra.Command, args []string) (I, error), run func(ctx context.Context, in I) error) func(*cobra.Command, []string) error {
	return runE(func(cmd *cobra.Command, args []string) error {
		in, err := parse(cmd, args)
		if err != nil {
			return err
		}
		if a.parsed != nil {
			a.parsed(in)
			return nil
		}
		return run(cmd.Context(), in)
	})
}

// runE adapts a command body: an error that does not say its exit code is
// a plain failure, not a usage error.
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		if err != nil && !isOurs(err) {
			return &ExitError{Code: ExitFailure, Err: err}
		}
		return err
	}
}

// usageArgs wraps a cobra argument check so its failure is a usage error
// that points at the command's help.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return Exitf(ExitUsage, "%v. Run '%s --help' for usage.", err, cmd.CommandPath())
		}
		return nil
	}
}

// Version is the CLI's module version, "(devel)" in a source build.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
