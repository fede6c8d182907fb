package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"

	"github.com/secds/secds/internal/testutil"
)

// AxeDirEnv names the folder axe-core is installed in: the Makefile sets it
// to .tools/axe, where make axe (tools/axe/install.sh) puts it.
const AxeDirEnv = "SECDS_AXE_DIR"

// axeTags are the rule sets every page must pass: WCAG 2.0 and 2.1 level A
// and AA (contrast, names of links and buttons, labels, language, ...).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

var axeScript = sync.OnceValues(func() (string, error) {
	dir := os.Getenv(AxeDirEnv)
	if dir == "" {
		root, err := testutil.ModuleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".tools", "axe")
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		return "", fmt.Errorf("%w (install it with: make axe)", err)
	}
	return string(b), nil
})

// Violation is one rule the page breaks, as axe-core reports it.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []string `json:"target"`
		Summary string   `json:"summary"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    at %s: %s", strings.Join(n.Target, " "), strings.ReplaceAll(n.Summary, "\n", "; "))
	}
	return b.String()
}

// axeRun runs axe-core in the page and returns what it finds, each node
// named by its CSS selectors.
const axeRun = `(async () => {
	const r = await axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]});
	return r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
		nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary || ""}))}));
})()`

// Violations injects axe-core into the current page (through DevTools: the
// page's Content-Security-Policy allows no script of its own) and returns
// the WCAG 2 A and AA rules it breaks.
func (b *Browser) Violations() []Violation {
	b.t.Helper()
	script, err := axeScript()
	Need(b.t, "axe-core", err)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](script)); err != nil {
		b.t.Fatalf("inject axe-core into %s: %v", redact(b.Location()), err)
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		var ex *chromedp.ExceptionError
		if errors.As(err, &ex) {
			b.t.Fatalf("axe.run on %s threw: %v", redact(b.Location()), ex)
		}
		b.t.Fatalf("axe.run on %s: %v", redact(b.Location()), err)
	}
	return vs
}

// Audit fails the test with every accessibility violation of the current
// page: its rule, impact and the selectors of the elements that break it.
// page names the page in the message.
func (b *Browser) Audit(page string) {
	b.t.Helper()
	for _, v := range b.Violations() {
		b.t.Errorf("%s (%s) is not accessible: %s", page, redact(b.Location()), v)
	}
}
