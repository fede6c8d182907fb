package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// editHeader starts the lines edit puts above the mapping to say what is
// wrong; they are removed before the mapping is sent.
const editHeader = "# secds: "

// mappingEditInput is what secds admin mapping edit is asked.
type mappingEditInput struct {
	Editor string // the editor command; "" for $VISUAL, $EDITOR, then vi
	Yes    bool   // apply a valid change without asking
	Reason string
}

func (a *App) mappingEditCmd() *cobra.Command {
	var in mappingEditInput
	cmd := &cobra.Command{
		Use:   "edit",
		Short: "Edit the team mapping in your editor, like kubectl edit",
		Long: `Open the current mapping in $VISUAL or $EDITOR (or --editor). When you save
and quit, the broker validates it; mistakes reopen the editor with them listed
at the top as FILE:line:col: message. A valid change is shown as a diff and,
once you confirm, stored as a new version, unless someone changed the
mapping meanwhile: then nothing is overwritten and your copy is kept.
Quit without changes, or empty the file, to cancel.`,
		Example: `  secds admin mapping edit
  EDITOR="code --wait" secds admin mapping edit --reason "risk team"`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, func(*cobra.Command, []string) (mappingEditInput, error) { return in, nil },
			func(ctx context.Context, in mappingEditInput) error { return (&editor{a: a, in: in}).run(ctx) }),
	}
	cmd.Flags().StringVar(&in.Editor, "editor", "", "editor command (default $VISUAL, $EDITOR, then vi)")
	cmd.Flags().BoolVarP(&in.Yes, "yes", "y", false, "apply a valid change without asking")
	cmd.Flags().StringVar(&in.Reason, "reason", "", "why, for the history")
	return cmd
}

// editor is one run of secds admin mapping edit.
type editor struct {
	a  *App
	in mappingEditInput
}

func (e *editor) run(ctx context.Context) error {
	c := admin{e.a}
	cur, err := c.mapping(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "secds-edit-*")
	if err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	path := filepath.Join(dir, "teams.yaml")
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	text := []byte(cur.Content)
	for {
		if err := os.WriteFile(path, text, 0o600); err != nil {
			return fmt.Errorf("edit: %w", err)
		}
		if err := e.open(ctx, path); err != nil {
			keep = true
			return err
		}
		saved, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("edit: %w", err)
		}
		content := stripHeader(saved)
		switch {
		case len(bytes.TrimSpace(content)) == 0:
			fmt.Fprintln(e.a.Stderr(), "Edit cancelled: the file was emptied. Nothing changed.")
			return nil
		case bytes.Equal(content, []byte(cur.Content)):
			fmt.Fprintln(e.a.Stderr(), "Edit cancelled: no changes.")
			return nil
		case bytes.Equal(saved, text):
			// Saved as shown after mistakes were listed: the person gave up.
			keep = true
			return Exitf(ExitFailure, "edit cancelled: the mistakes were not fixed, nothing changed; your copy is kept in %s", path)
		}
		// Validated as saved, header included, so line numbers are the
		// ones the editor shows; the header is only comments.
		v, err := c.validate(ctx, saved)
		if err != nil {
			keep = true
			return err
		}
		if !v.Valid {
			printProblems(e.a.Stderr(), path, v.Problems)
			text = withHeader(path, saved, v.Problems)
			continue
		}
		if err := printDiff(e.a.Stdout(), cur, "current", content, "edited"); err != nil {
			return err
		}
		if !e.in.Yes && !e.confirm(fmt.Sprintf("Apply this change to version %d? [y/N] ", cur.Version)) {
			keep = true
			fmt.Fprintf(e.a.Stderr(), "Not applied. Your copy is kept in %s (apply it with: secds admin mapping apply -f %s).\n", path, path)
			return nil
		}
		r := e.in.Reason
		if r == "" {
			r = "secds admin mapping edit"
		}
		nv, err := c.put(ctx, content, cur.ETag, r)
		if err != nil {
			keep = true
			return conflictHint(err, path)
		}
		fmt.Fprintf(e.a.Stderr(), "Applied: version %d (was %d) is live.\n", nv.Version, cur.Version)
		return nil
	}
}

// open runs the editor on path and waits for it.
func (e *editor) open(ctx context.Context, path string) error {
	command := e.in.Editor
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if command == "" {
			command = os.Getenv(k)
		}
	}
	if command == "" {
		command = "vi"
		if runtime.GOOS == "windows" {
			command = "notepad"
		}
	}
	args := strings.Fields(command)
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], path)...)
	cmd.Stdout, cmd.Stderr = e.a.Stdout(), e.a.Stderr()
	// A terminal goes to the editor as it is; any other input stays for the
	// confirmation, which exec would otherwise copy away into the editor.
	if f, ok := e.a.Stdin().(*os.File); ok {
		cmd.Stdin = f
	}
	if err := cmd.Run(); err != nil {
		return Exitf(ExitFailure, "the editor %q failed (%v); nothing changed, your copy is in %s", command, err, path)
	}
	return nil
}

func (e *editor) confirm(prompt string) bool {
	fmt.Fprint(e.a.Stderr(), prompt)
	line, _ := bufio.NewReader(e.a.Stdin()).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// withHeader replaces saved's header with one listing the mistakes found in
// saved. Each names its line in the new text, header included.
func withHeader(path string, saved []byte, ps []api.MappingProblem) []byte {
	content := stripHeader(saved)
	shift := len(ps) + 2 - headerLines(saved)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%sthe mapping has %s; fix them and save, or empty the file to cancel.\n", editHeader, mistakes(len(ps)))
	for _, p := range ps {
		if p.Line > 0 {
			p.Line += shift
		}
		fmt.Fprintf(&b, "%s%s\n", editHeader, problemAt(p, path))
	}
	fmt.Fprintf(&b, "%s(these lines are removed before the mapping is sent)\n", editHeader)
	b.Write(content)
	return b.Bytes()
}

// headerLines counts the edit header lines at the top of content.
func headerLines(content []byte) int {
	n := 0
	for _, l := range bytes.SplitAfter(content, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte(editHeader)) {
			break
		}
		n++
	}
	return n
}

func stripHeader(content []byte) []byte {
	for bytes.HasPrefix(content, []byte(editHeader)) {
		i := bytes.IndexByte(content, '\n')
		if i < 0 {
			return nil
		}
		content = content[i+1:]
	}
	return content
}
