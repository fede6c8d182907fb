package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"

	"github.com/secds/secds/cmd/secds/cli"
)

func mappingCmd(a *cli.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mapping",
		Short: "Read, change, check and roll back the team mapping",
		Args:  usage(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(mappingGetCmd(a), mappingEditCmd(a), mappingApplyCmd(a), mappingValidateCmd(a),
		mappingDiffCmd(a), mappingHistoryCmd(a), mappingRollbackCmd(a))
	return cmd
}

func mappingGetCmd(a *cli.App) *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Print the current team mapping (or an older version)",
		Long: `Print the team mapping's YAML, byte for byte, on stdout; its version goes to
stderr so the output can be redirected to a file and edited.`,
		Example: `  secds admin mapping get > teams.yaml
  secds admin mapping get --version 12`,
		Args: usage(cobra.NoArgs),
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			c := admin{a}
			var d mappingDoc
			var err error
			if version > 0 {
				d, err = c.version(cmd.Context(), version)
			} else {
				d, err = c.mapping(cmd.Context())
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stderr(), "# version %d (%s), %s\n", d.Version, shortDigest(d.Digest), describe(d.versionInfo))
			_, err = io.WriteString(a.Stdout(), d.Content)
			return err
		}),
	}
	cmd.Flags().Int64Var(&version, "version", 0, "print this version from the history instead of the current one")
	return cmd
}

func mappingApplyCmd(a *cli.App) *cobra.Command {
	var file, reason string
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Replace the team mapping with a file, after validating it",
		Long: `Validate FILE with the broker, show how it differs from the current mapping,
and store it as the new version. The write names the version the diff was
made against: if someone changed the mapping meanwhile it is refused, and
nothing changes. Mistakes are listed as FILE:line:col: message.`,
		Example: `  secds admin mapping apply -f teams.yaml --reason "add the risk team"`,
		Args:    usage(cobra.NoArgs),
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			content, err := readFile(file)
			if err != nil {
				return err
			}
			c := admin{a}
			if err := checkValid(cmd, c, file, content); err != nil {
				return err
			}
			cur, err := c.mapping(cmd.Context())
			if err != nil {
				return err
			}
			if cur.Content == string(content) {
				fmt.Fprintf(a.Stderr(), "No changes: %s is version %d already.\n", file, cur.Version)
				return nil
			}
			if err := printDiff(a.Stdout(), cur, "current", content, file); err != nil {
				return err
			}
			v, err := c.put(cmd.Context(), content, cur.ETag, reason)
			if err != nil {
				return conflictHint(err, file)
			}
			fmt.Fprintf(a.Stderr(), "Applied %s: version %d (was %d) is live.\n", file, v.Version, cur.Version)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the mapping file to apply (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the history")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func mappingValidateCmd(a *cli.App) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "validate -f FILE",
		Short: "Check a mapping file with the broker without storing it",
		Long: `Check FILE as the broker would on apply: every mistake is listed as
FILE:line:col: message, and the exit code is 1 if there is any.`,
		Example: `  secds admin mapping validate -f teams.yaml`,
		Args:    usage(cobra.NoArgs),
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			content, err := readFile(file)
			if err != nil {
				return err
			}
			if err := checkValid(cmd, admin{a}, file, content); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout(), "%s: valid\n", file)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the mapping file to check (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// checkValid validates content with the broker and prints its mistakes.
func checkValid(cmd *cobra.Command, c admin, file string, content []byte) error {
	v, err := c.validate(cmd.Context(), content)
	if err != nil {
		return err
	}
	if v.Valid {
		return nil
	}
	printProblems(cmd.ErrOrStderr(), file, v.Problems)
	return cli.Exitf(cli.ExitFailure, "%s has %d mistake(s); nothing was changed", file, len(v.Problems))
}

func mappingDiffCmd(a *cli.App) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "diff -f FILE",
		Short:   "Show how a file differs from the current mapping",
		Example: `  secds admin mapping diff -f teams.yaml`,
		Args:    usage(cobra.NoArgs),
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			content, err := readFile(file)
			if err != nil {
				return err
			}
			cur, err := admin{a}.mapping(cmd.Context())
			if err != nil {
				return err
			}
			if cur.Content == string(content) {
				fmt.Fprintf(a.Stderr(), "No differences: %s is version %d.\n", file, cur.Version)
				return nil
			}
			return printDiff(a.Stdout(), cur, "current", content, file)
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the mapping file to compare (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func mappingHistoryCmd(a *cli.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the mapping's versions, newest first",
		Long: `List every version of the mapping: when, who and why. The live version is
marked with *; when the newest is invalid, the broker serves an older one.
See a version with: secds admin mapping get --version N.`,
		Args: usage(cobra.NoArgs),
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			asJSON, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			h, err := admin{a}.history(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
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
		}),
	}
	addOutput(cmd)
	return cmd
}

func mappingRollbackCmd(a *cli.App) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback VERSION",
		Short: "Make an older version's content the current mapping again",
		Long: `Store the content of VERSION, byte for byte, as a new version: the history
keeps the versions it undoes, and the rollback is validated and audited
like any change.`,
		Example: `  secds admin mapping history
  secds admin mapping rollback 12`,
		Args: usage(cobra.ExactArgs(1)),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || n < 1 {
				return cli.Exitf(cli.ExitUsage, "%q is not a version number; see secds admin mapping history", args[0])
			}
			v, err := admin{a}.rollback(cmd.Context(), n)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stderr(), "Rolled back to version %d: version %d is live.\n", n, v.Version)
			return nil
		}),
	}
}

func readFile(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, cli.Exitf(cli.ExitUsage, "read %s: %v", file, err)
	}
	return b, nil
}

// printDiff writes a unified diff from the current version to content.
func printDiff(w io.Writer, cur mappingDoc, curName string, content []byte, name string) error {
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
	var ae *cli.APIError
	if errors.As(err, &ae) && ae.Code == "version_conflict" {
		return cli.Exitf(cli.ExitFailure, "%v\nYour version is kept in %s: compare with secds admin mapping diff -f %s, then apply again", ae, file, file)
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

func describe(v versionInfo) string {
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
