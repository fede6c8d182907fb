package e2e

import (
	"strings"
	"testing"

	"github.com/secds/secds/cmd/secds/cli"
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

// TestCLIPickerWithNothingRunning: when none of the notebooks that fit is
// running, the CLI says so and exits 4 instead of asking.
func TestCLIPickerWithNothingRunning(t *testing.T) {
	seed := devSeed(t)
	for i := range seed.Notebooks {
		if seed.Notebooks[i].Name == "fraud-alice" {
			seed.Notebooks[i].Status = "Stopped"
		}
	}
	st := StartStack(t, StackOptions{Seed: &seed})
	c := newLaptop(t, st, "alice")
	c.configure()
	r := c.runIn("1\n", true, "open", "--print-url")
	r.want(t, cli.ExitDenied, "none of your notebooks is running", "fraud-alice-scratch", "Ask the platform team to start one")
	if strings.Contains(r.stderr, "Open which one") {
		t.Errorf("it asked:\n%s", r.stderr)
	}
}
