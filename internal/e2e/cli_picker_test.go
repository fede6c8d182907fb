package e2e

import (
	"strings"
	"testing"
)

// TestCLIPickerOffersOnlyRunningNotebooks: alice has a running and a
// stopped notebook (the dev seed); the picker numbers only the running one
// and says the other cannot be opened now.
func TestCLIPickerOffersOnlyRunningNotebooks(t *testing.T) {
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.configure()
	r := c.runIn("1\n", true, "open", "--print-url")
	r.want(t, 0, "Open which one? [1-1]", "1)  fraud-alice", "fraud-alice-scratch", "not running: cannot be opened now")
	if strings.Contains(r.stderr, "2)") {
		t.Errorf("the stopped notebook got a number:\n%s", r.stderr)
	}
	notebookPage(t, strings.TrimSpace(r.stdout))
}
