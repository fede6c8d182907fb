package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

func (a *App) mappingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mapping",
		Short: "Read, change, check and roll back the team mapping",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.mappingGetCmd(), a.mappingEditCmd(), a.mappingApplyCmd(), a.mappingValidateCmd(),
		a.mappingDiffCmd(), a.mappingHistoryCmd(), a.mappingRollbackCmd(), a.mappingImportCmd())
	return cmd
}

// Inputs of the mapping commands.
type (
	mappingGetInput      struct{ Version int64 } // 0: the current one
	mappingFileInput     struct{ File string }   // diff
	mappingApplyInput    struct{ File, Reason string }
	mappingHistoryInput  struct{ JSON bool }
	mappingRollbackInput struct{ Version int64 }
)

func (a *App) mappingGetCmd() *cobra.Command {
	var in mappingGetInput
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Print the current team mapping (or an older version)",
		Long: `Print the team mapping's YAML, byte for byte, on stdout; its version goes to
stderr so the output can be redirected to a file and edited.`,
		Example: `  secds admin mapping get > teams.yaml
  secds admin mapping get --version 12`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, func(*cobra.Command, []string) (mappingGetInput, error) { return in, nil }, a.mappingGet),
	}
	cmd.Flags().Int64Var(&in.Version, "version", 0, "print this version from the history instead of the current one")
	return cmd
}

// mappingGet is secds admin mapping get.
func (a *App) mappingGet(ctx context.Context, in mappingGetInput) error {
	c := admin{a}
	var d api.MappingDoc
	var err error
	if in.Version > 0 {
		d, err = c.version(ctx, in.Version)
	} else {
		d, err = c.mapping(ctx)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr(), "# version %d (%s), %s\n", d.Version, shortDigest(d.Digest), describe(d.VersionInfo))
	_, err = io.WriteString(a.Stdout(), d.Content)
	return err
}

func (a *App) mappingApplyCmd() *cobra.Command {
	var in mappingApplyInput
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Replace the team mapping with a file, after validating it",
		Long: `Validate FILE with the broker, show how it differs from the current mapping,
and store it as the new version. The write names the version the diff was
made against: if someone changed the mapping meanwhile it is refused, and
nothing changes. Mistakes are listed as FILE:line:col: message.`,
		Example: `  secds admin mapping apply -f teams.yaml --reason "add the risk team"`,
		Args:    usageArgs(cobra.NoArgs),
		RunE:    useCase(a, func(*cobra.Command, []string) (mappingApplyInput, error) { return in, nil }, a.mappingApply),
	}
	cmd.Flags().StringVarP(&in.File, "file", "f", "", "the mapping file to apply (required)")
	cmd.Flags().StringVar(&in.Reason, "reason", "", "why, for the history")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// mappingApply is secds admin mapping apply.
func (a *App) mappingApply(ctx context.Context, in mappingApplyInput) error {
	content, err := a.readFile(in.File)
	if err != nil {
		return err
	}
	c := admin{a}
	if err := a.checkValid(ctx, in.File, content); err != nil {
		return err
	}
	cur, err := c.mapping(ctx)
	if err != nil {
		return err
	}
	if cur.Content == string(content) {
		fmt.Fprintf(a.Stderr(), "No changes: %s is version %d already.\n", in.File, cur.Version)
		return nil
	}
	if err := printDiff(a.Stdout(), cur, "current", content, in.File); err != nil {
		return err
	}
	v, err := c.put(ctx, content, cur.ETag, in.Reason)
	if err != nil {
		return conflictHint(err, in.File)
	}
	fmt.Fprintf(a.Stderr(), "Applied %s: version %d (was %d) is live.\n", in.File, v.Version, cur.Version)
	return nil
}

// mappingFileCmd is a command whose one input is -f FILE.
func (a *App) mappingFileCmd(cmd *cobra.Command, what string, run func(context.Context, mappingFileInput) error) *cobra.Command {
	var in mappingFileInput
	cmd.Args = usageArgs(cobra.NoArgs)
	cmd.RunE = useCase(a, func(*cobra.Command, []string) (mappingFileInput, error) { return in, nil }, run)
	cmd.Flags().StringVarP(&in.File, "file", "f", "", "the mapping file to "+what+" (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// mappingValidateInput is what secds admin mapping validate is asked.
type mappingValidateInput struct {
	File    string
	Offline bool // check here only, even with a broker configured
}

func (a *App) mappingValidateCmd() *cobra.Command {
	var in mappingValidateInput
	cmd := &cobra.Command{
		Use:   "validate -f FILE",
		Short: "Check a mapping file without storing it (offline, and with the broker)",
		Long: `Check FILE as the broker does on apply: every mistake is listed as
FILE:line:col: message on stderr. Exit code 0: valid; 1: FILE has mistakes;
2: FILE cannot be read.

The check runs here first, with the same code the broker runs, so it needs
no broker, no login and no network: in CI and in a git pre-commit hook. When
a broker is configured, the file is then also sent to it (this needs a
login), which checks in addition that you would stay an admin; --offline
skips that, as a hook or CI job should.`,
		Example: `  secds admin mapping validate -f teams.yaml
  secds admin mapping validate --offline -f teams.yaml    # CI, pre-commit hook
  git show :teams.yaml | secds admin mapping validate --offline -f -`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, func(*cobra.Command, []string) (mappingValidateInput, error) { return in, nil }, a.mappingValidate),
		// No token store until the broker is asked: offline, nothing of
		// the user's directories is needed.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.Flags().StringVarP(&in.File, "file", "f", "", "the mapping file to check, - for stdin (required)")
	cmd.Flags().BoolVar(&in.Offline, "offline", false, "check here only, even with a broker configured (CI, git hooks)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// mappingValidate is secds admin mapping validate.
func (a *App) mappingValidate(ctx context.Context, in mappingValidateInput) error {
	content, err := a.readFile(in.File)
	if err != nil {
		return err
	}
	name := in.File
	if name == "-" {
		name = "<stdin>"
	}
	var ps abac.Problems
	if _, err := abac.Parse(name, content); errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(a.Stderr(), p.String())
		}
		return Exitf(ExitFailure, "%s has %s", name, mistakes(len(ps)))
	} else if err != nil {
		return Exitf(ExitFailure, "check %s: %v", name, err)
	}
	if in.Offline {
		fmt.Fprintf(a.Stdout(), "%s: valid\n", name)
		return nil
	}
	if broker, err := a.hasBroker(); err != nil {
		return err
	} else if !broker {
		fmt.Fprintf(a.Stdout(), "%s: valid\n", name)
		fmt.Fprintln(a.Stderr(), "Checked offline: no broker is configured. On apply the broker also checks that you stay an admin.")
		return nil
	}
	if err := a.checkValid(ctx, name, content); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout(), "%s: valid\n", name)
	return nil
}

// checkValid validates content with the broker and prints its mistakes.
func (a *App) checkValid(ctx context.Context, file string, content []byte) error {
	v, err := admin{a}.validate(ctx, content)
	if err != nil {
		return err
	}
	if v.Valid {
		return nil
	}
	printProblems(a.Stderr(), file, v.Problems)
	return Exitf(ExitFailure, "%s has %s; nothing was changed", file, mistakes(len(v.Problems)))
}

func (a *App) mappingDiffCmd() *cobra.Command {
	return a.mappingFileCmd(&cobra.Command{
		Use:     "diff -f FILE",
		Short:   "Show how a file differs from the current mapping",
		Example: `  secds admin mapping diff -f teams.yaml`,
	}, "compare", a.mappingDiff)
}

// mappingDiff is secds admin mapping diff.
func (a *App) mappingDiff(ctx context.Context, in mappingFileInput) error {
	content, err := a.readFile(in.File)
	if err != nil {
		return err
	}
	cur, err := admin{a}.mapping(ctx)
	if err != nil {
		return err
	}
	if cur.Content == string(content) {
		fmt.Fprintf(a.Stderr(), "No differences: %s is version %d.\n", in.File, cur.Version)
		return nil
	}
	return printDiff(a.Stdout(), cur, "current", content, in.File)
}

func (a *App) mappingHistoryCmd() *cobra.Command {
	var out outputFlag
	parse := func(*cobra.Command, []string) (in mappingHistoryInput, err error) {
		in.JSON, err = out.json()
		return in, err
	}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the mapping's versions, newest first",
		Long: `List every version of the mapping: when, who and why. The live version is
marked with *; when the newest is invalid, the broker serves an older one.
See a version with: secds admin mapping get --version N.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.mappingHistory),
	}
	out.add(cmd)
	return cmd
}

// mappingHistory is secds admin mapping history.
func (a *App) mappingHistory(ctx context.Context, in mappingHistoryInput) error {
	h, err := admin{a}.history(ctx)
	if err != nil {
		return err
	}
	if in.JSON {
		return writeJSON(a.Stdout(), h)
	}
	if !h.Valid {
		fmt.Fprintf(a.Stderr(), "Version %d is invalid; the broker serves version %d.\n", h.Latest, h.Serving)
	}
	tw := tabwriter.NewWriter(a.Stdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTIME (UTC)\tAUTHOR\tREASON\tDIGEST")
	for _, v := range h.Versions {
		live := " "
		if v.Version == h.Serving {
			live = "*"
		}
		fmt.Fprintf(tw, "%s%d\t%s\t%s\t%s\t%s\n", live, v.Version, v.Time.UTC().Format("2006-01-02 15:04:05"), orDash(v.Author), v.Reason, shortDigest(v.Digest))
	}
	return tw.Flush()
}

func (a *App) mappingRollbackCmd() *cobra.Command {
	parse := func(_ *cobra.Command, args []string) (mappingRollbackInput, error) {
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || n < 1 {
			return mappingRollbackInput{}, Exitf(ExitUsage, "%q is not a version number; see secds admin mapping history", args[0])
		}
		return mappingRollbackInput{Version: n}, nil
	}
	return &cobra.Command{
		Use:   "rollback VERSION",
		Short: "Make an older version's content the current mapping again",
		Long: `Store the content of VERSION, byte for byte, as a new version: the history
keeps the versions it undoes, and the rollback is validated and audited
like any change.`,
		Example: `  secds admin mapping history
  secds admin mapping rollback 12`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: useCase(a, parse, a.mappingRollback),
	}
}

// mappingRollback is secds admin mapping rollback.
func (a *App) mappingRollback(ctx context.Context, in mappingRollbackInput) error {
	v, err := admin{a}.rollback(ctx, in.Version)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr(), "Rolled back to version %d: version %d is live.\n", in.Version, v.Version)
	return nil
}

// readFile reads a file named on the command line; "-" is stdin.
func (a *App) readFile(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(a.Stdin())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, Exitf(ExitUsage, "read %s: %v", file, err)
	}
	return b, nil
}

// printDiff writes a unified diff from the current version to content.
func printDiff(w io.Writer, cur api.MappingDoc, curName string, content []byte, name string) error {
	text, err := unifiedDiff([]byte(cur.Content), content, fmt.Sprintf("%s (version %d)", curName, cur.Version), name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, text)
	return err
}

func unifiedDiff(a, b []byte, aName, bName string) (string, error) {
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(a)), B: difflib.SplitLines(string(b)), FromFile: aName, ToFile: bName, Context: 3,
	})
}

// conflictHint adds what to do to a refused write.
func conflictHint(err error, file string) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == api.CodeVersionConflict {
		return Exitf(ExitFailure, "%v\nYour version is kept in %s: compare with secds admin mapping diff -f %s, then apply again", ae, file, file)
	}
	return err
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

func describe(v api.VersionInfo) string {
	s := "written " + v.Time.UTC().Format("2006-01-02 15:04 UTC")
	if v.Author != "" {
		s += " by " + v.Author
	}
	if v.Reason != "" {
		s += " (" + v.Reason + ")"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
