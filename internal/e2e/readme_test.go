package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/secds/secds/internal/testutil"
)

// readmeCommand is one command of a README block fenced as `sh dev`: a
// secds command meant to run as written against the dev stack.
type readmeCommand struct {
	line int      // in README.md
	text string   // as written, without its comment
	args []string // secds's arguments
	as   string   // "sign in as NAME" in the comment: the browser is NAME's
	exit int      // "exits N" in the comment; else 0
}

var (
	signInAsRE = regexp.MustCompile(`\bsign in as (\w+)`)
	exitsRE    = regexp.MustCompile(`\bexits (\d+)\b`)
	// secds is run as the README tells people to: installed, built into
	// the checkout, or through go run.
	secdsPrefixes = []string{"secds ", "./secds ", "go run ./cmd/secds "}
)

// devCommands reads the commands of README's `sh dev` blocks, in order.
func devCommands(readme string) ([]readmeCommand, error) {
	var cmds []readmeCommand
	inDev, inOther := false, false
	sc := bufio.NewScanner(strings.NewReader(readme))
	pending, pendingLine := "", 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case !inDev && !inOther && strings.HasPrefix(trimmed, "```"):
			info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
			inDev = len(info) == 2 && info[0] == "sh" && info[1] == "dev"
			inOther = !inDev
			continue
		case trimmed == "```":
			if pending != "" {
				return nil, fmt.Errorf("README.md:%d: the block ends in a continued line", n)
			}
			inDev, inOther = false, false
			continue
		case !inDev || trimmed == "":
			continue
		}
		if pending == "" {
			pendingLine = n
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending += cont + " "
			continue
		}
		c, err := parseCommand(pendingLine, pending+trimmed)
		if err != nil {
			return nil, err
		}
		pending = ""
		cmds = append(cmds, c)
	}
	if inDev {
		return nil, fmt.Errorf("README.md: a sh dev block is not closed")
	}
	return cmds, nil
}

func parseCommand(line int, s string) (readmeCommand, error) {
	c := readmeCommand{line: line}
	text, comment, _ := strings.Cut(s, "#")
	c.text = strings.TrimSpace(text)
	if m := signInAsRE.FindStringSubmatch(comment); m != nil {
		c.as = m[1]
	}
	if m := exitsRE.FindStringSubmatch(comment); m != nil {
		c.exit, _ = strconv.Atoi(m[1])
	}
	if strings.ContainsAny(c.text, `'"$;&|<>`+"`") {
		return c, fmt.Errorf("README.md:%d: %q: quoting and shell syntax are not run here; keep dev commands plain", line, c.text)
	}
	for _, p := range secdsPrefixes {
		if rest, ok := strings.CutPrefix(c.text+" ", p); ok {
			c.args = strings.Fields(rest)
			return c, nil
		}
	}
	return c, fmt.Errorf("README.md:%d: %q is not a secds command; only those go in sh dev blocks", line, c.text)
}

func TestDevCommandsParse(t *testing.T) {
	readme := "text\n```sh\nsecds not-run\n```\n```sh dev\nsecds configure --broker http://127.0.0.1:8080\n" +
		"secds login      # sign in as bob\n\nsecds open x     # exits 4: not his\n" +
		"go run ./cmd/secds admin iam \\\n    --all\n```\n"
	got, err := devCommands(readme)
	if err != nil {
		t.Fatal(err)
	}
	want := []readmeCommand{
		{line: 6, text: "secds configure --broker http://127.0.0.1:8080", args: []string{"configure", "--broker", "http://127.0.0.1:8080"}},
		{line: 7, text: "secds login", args: []string{"login"}, as: "bob"},
		{line: 9, text: "secds open x", args: []string{"open", "x"}, exit: 4},
		{line: 10, text: "go run ./cmd/secds admin iam  --all", args: []string{"admin", "iam", "--all"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	for _, bad := range []string{"```sh dev\nrm -rf x\n```\n", "```sh dev\nsecds open \"a b\"\n```\n", "```sh dev\nsecds open\n"} {
		if _, err := devCommands(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestReadmeDevCommands runs every command of the README's `sh dev` blocks,
// in order, as written, against a dev-shaped stack (the dev identity
// provider, the demo users, mapping and notebooks): the CLI in process on
// one laptop, its browser the person the comment says to sign in as. Each
// must exit 0, or the code its comment gives. Only places change: the
// README's http://127.0.0.1:8080 is this stack's, and its relative paths
// (configs/...) start at the repository's root, as a reader's shell does.
func TestReadmeDevCommands(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := devCommands(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) < 10 {
		t.Fatalf("only %d dev-stack commands in README.md; are its blocks still fenced as sh dev?", len(cmds))
	}
	st := StartStack(t, StackOptions{})
	l := newChromiumLaptop(t, st)
	for _, c := range cmds {
		args := make([]string, len(c.args))
		for i, a := range c.args {
			args[i] = strings.ReplaceAll(a, "http://127.0.0.1:8080", st.URL)
			if strings.Contains(a, "/") && !strings.Contains(a, ":") && !filepath.IsAbs(a) {
				args[i] = filepath.Join(root, a)
			}
		}
		if c.as != "" {
			l.browser = NewHTTPUser(t, st, c.as) // a fresh browser: signed out
		}
		ok := t.Run(fmt.Sprintf("README.md:%d %s", c.line, c.text), func(t *testing.T) {
			parent := l.t
			l.t = t
			defer func() { l.t = parent }()
			l.run(args...).want(t, c.exit)
		})
		if !ok {
			t.Fatalf("README.md:%d: %s failed; the commands after it depend on it", c.line, c.text)
		}
	}
}
