package cli

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/secds/secds/internal/iampolicy"
)

// Inline policy names the printed commands use: re-running them replaces
// the previous version instead of adding a second policy. The broker's keeps
// its name now that it may also open the state table: a new name would
// leave the old policy, with its old list of roles, attached beside it.
const (
	teamPolicyName   = "secds-notebooks"
	brokerPolicyName = "secds-assume-team-roles"
)

// writePolicies writes one file per document into dir, each through a
// temporary file renamed into place, and prints the aws commands that apply
// them (stdout) and the notes and broker-only parts (stderr).
func (a *App) writePolicies(dir string, ps iampolicy.Policies) error {
	var cmds []string
	write := func(name string, doc iampolicy.Document) (string, error) {
		var b bytes.Buffer
		if err := writeJSON(&b, doc); err != nil {
			return "", err
		}
		path := filepath.Join(dir, name)
		if err := writeFileAtomic(path, b.Bytes(), 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
		return "file://" + path, nil
	}
	for _, p := range ps.Teams {
		trust, err := write(p.Team+".trust.json", p.Trust)
		if err != nil {
			return err
		}
		perms, err := write(p.Team+".permissions.json", p.Permissions)
		if err != nil {
			return err
		}
		cmds = append(cmds,
			fmt.Sprintf("# team %s: role %s, in account %s", p.Team, p.RoleName, arnAccount(p.RoleARN)),
			fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document %s", p.RoleName, shellQuote(trust)),
			fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name %s --policy-document %s", p.RoleName, teamPolicyName, shellQuote(perms)))
	}
	brk, err := write("broker.json", ps.Broker.Policy)
	if err != nil {
		return err
	}
	kind, name := principalName(ps.Broker.Principal)
	cmds = append(cmds,
		fmt.Sprintf("# the broker: %s %s, in account %s", kind, name, arnAccount(ps.Broker.Principal)),
		fmt.Sprintf("aws iam put-%s-policy --%s-name %s --policy-name %s --policy-document %s", kind, kind, name, brokerPolicyName, shellQuote(brk)))

	fmt.Fprintf(a.Stderr(), "Wrote %d policies to %s. Apply them with the commands below, each in its account.\n", 2*len(ps.Teams)+1, dir)
	printNotes(a.Stderr(), ps)
	fmt.Fprintln(a.Stdout(), strings.Join(cmds, "\n"))
	return nil
}

// printNotes shows what the JSON output carries besides the documents, so
// writing files loses none of it.
func printNotes(w io.Writer, ps iampolicy.Policies) {
	for _, n := range ps.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	for _, p := range ps.Teams {
		for _, b := range p.BrokerOnly {
			fmt.Fprintf(w, "Only the broker checks, for team %s: %s\n", p.Team, b)
		}
	}
}

// principalName splits an IAM role or user ARN (validated by iampolicy)
// into its kind and its name without the path, as aws iam takes them.
func principalName(arn string) (kind, name string) {
	rest := arn[strings.LastIndex(arn, ":")+1:]
	kind, path, _ := strings.Cut(rest, "/")
	return kind, path[strings.LastIndex(path, "/")+1:]
}

func arnAccount(arn string) string {
	if f := strings.Split(arn, ":"); len(f) > 4 {
		return f[4]
	}
	return "?"
}

var shellSafe = regexp.MustCompile(`^[\w@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it, so a directory
// with a space still gives commands that can be pasted.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
