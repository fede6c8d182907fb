package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
	"github.com/secds/secds/internal/dev/devstack"
)

// The dev mapping lets team platform start its stopped notebooks
// (start_stopped), and admin's platform-admin-scratch is stopped; team
// fraud does not, and alice's fraud-alice-scratch is stopped too. The
// emulator keeps a started notebook Pending for devstack.TransitionDelay
// on its clock: the tests move that clock, never sleep it out.

const scratch = "platform-admin-scratch"

// pastStart moves the emulator's clock past a start (or stop).
func pastStart(st *Stack) { st.AWS.Advance(devstack.TransitionDelay + time.Second) }

// countAudit counts the audit events of a type for a user.
func countAudit(t *testing.T, st *Stack, typ, user, decision string) int {
	n := 0
	for _, ev := range st.AuditEvents(t) {
		if ev["type"] == typ && ev["user"] == user && (decision == "" || ev["decision"] == decision) {
			n++
		}
	}
	return n
}

// TestStoppedNotebookStartsInChromium: admin opens a stopped notebook of a
// team that allows starting; the broker starts it, the browser waits on an
// accessible waiting page that polls the status endpoint, and arrives in
// Jupyter once the notebook is InService, with one start in the audit trail.
func TestStoppedNotebookStartsInChromium(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)

	if status := signIn(t, st, b, "/open?notebook="+scratch, "admin"); status != http.StatusOK {
		t.Fatalf("after signing in: status %d, want the waiting page", status)
	}
	if loc := b.Location(); !strings.Contains(loc, "/open/wait?") {
		t.Fatalf("opening a stopped notebook landed on %s, want the waiting page", redact(loc))
	}
	b.CheckPage("waiting", "Starting your notebook", scratch, "team platform", "Pending", "takes you to your notebook as soon as it is running")
	if n := st.AWS.Starts(scratch); n != 1 {
		t.Fatalf("SageMaker accepted %d starts, want 1", n)
	}
	ev := st.LastAudit(t, "notebook_start", "admin")
	if ev["decision"] != "granted" || ev["notebook"] != scratch || ev["team"] != "platform" || !strings.Contains(ev["reason"].(string), "start_stopped") {
		t.Errorf("start event = %v", ev)
	}
	if ev := st.LastAudit(t, "open", "admin"); ev["decision"] != "waiting" {
		t.Errorf("open event = %v, want decision waiting", ev)
	}

	pastStart(st)
	// The page's script polls the status endpoint and goes on by itself.
	eventually(t, "the browser reaches the notebook", 30*time.Second, func() bool { return strings.Contains(b.Location(), "/notebooks/"+scratch) })
	wantNotebookPage(t, b, scratch, "admin", "platform")
	if n := st.AWS.Starts(scratch); n != 1 {
		t.Errorf("SageMaker accepted %d starts, want 1", n)
	}
	if n := countAudit(t, st, "notebook_start", "admin", ""); n != 1 {
		t.Errorf("%d start events, want 1", n)
	}
}

// TestWaitingPageWithoutJavaScript: the waiting page's meta refresh is all
// a browser without JavaScript has. Each reload (done here by hand, as the
// refresh would) shows the state until the notebook can go on: a Stopping
// notebook is waited for, started once Stopped, and opened once InService.
func TestWaitingPageWithoutJavaScript(t *testing.T) {
	st := StartStack(t, StackOptions{})
	admin := NewHTTPUser(t, st, "admin")
	if err := st.AWS.SetNotebookStatus(scratch, "InService"); err != nil {
		t.Fatal(err)
	}
	if err := st.AWS.StopNotebook(scratch); err != nil {
		t.Fatal(err)
	}
	p := admin.Visit(st.URL + "/open?notebook=" + scratch)
	p.MustContain(t, http.StatusOK, `<meta http-equiv="refresh" content="3">`, `id="wait-state">Stopping<`, "will be started as soon as it has stopped")
	wait := p.Hops[len(p.Hops)-1]
	if !strings.Contains(wait, "/open/wait?") {
		t.Fatalf("ended on %s, want the waiting page", redact(wait))
	}
	admin.Visit(wait).MustContain(t, http.StatusOK, `id="wait-state">Stopping<`)

	pastStart(st) // Stopped: the reload goes on to /open, which starts it.
	admin.Visit(wait).MustContain(t, http.StatusOK, `id="wait-state">Pending<`, "is starting")
	if n := st.AWS.Starts(scratch); n != 1 {
		t.Fatalf("SageMaker accepted %d starts, want 1", n)
	}

	pastStart(st) // InService: the reload goes on to the notebook.
	admin.Visit(wait).MustContain(t, http.StatusOK, `id="notebook-name">`+scratch+`<`, `id="source-identity">admin<`)
}

// TestCLIStartsAStoppedNotebook: secds open on a stopped notebook the team
// may start starts it, shows the wait and prints the link once it runs;
// --no-wait returns at once with the state (exit 7); secds list says which
// notebooks opening starts; a team that may not start its notebooks is
// refused with whom to ask.
func TestCLIStartsAStoppedNotebook(t *testing.T) {
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "admin")
	c.configure()
	c.run("list").want(t, 0, scratch, "Stopped", "starts it", "platform-admin ", "opens it")
	c.run("list", "-o", "json").want(t, 0, `"name": "`+scratch+`"`, `"starts": true`)

	r := c.run("open", scratch, "--no-wait", "-o", "json")
	r.want(t, cli.ExitStarting, "is Pending, not running yet", "without --no-wait")
	if !strings.Contains(r.stdout, `"status": "Pending"`) || strings.Contains(r.stdout, "url") {
		t.Errorf("--no-wait -o json printed:\n%s", r.stdout)
	}

	done := c.start(nil, nil, false, "open", scratch, "--print-url")
	// The CLI polls while the notebook is Pending; then the clock moves.
	eventually(t, "the CLI polls the status", 30*time.Second, func() bool { return st.AWS.Calls("DescribeNotebookInstance") >= 4 })
	pastStart(st)
	var res result
	select {
	case res = <-done:
	case <-time.After(time.Minute):
		t.Fatal("secds open did not return once the notebook ran")
	}
	res.want(t, 0, "Notebook "+scratch+" (team platform) is Pending")
	if !strings.Contains(notebookPage(t, strings.TrimSpace(res.stdout)), `id="notebook-name">`+scratch+`<`) {
		t.Error("the printed URL does not open the notebook")
	}
	if n := st.AWS.Starts(scratch); n != 1 {
		t.Errorf("SageMaker accepted %d starts, want 1", n)
	}

	t.Run("the wait is bounded", func(t *testing.T) {
		if err := st.AWS.StopNotebook(scratch); err != nil {
			t.Fatal(err)
		}
		calls := st.AWS.Calls("DescribeNotebookInstance")
		done := c.start(nil, nil, false, "open", scratch, "--print-url", "--wait-timeout", "5m")
		eventually(t, "the CLI polls the status", 30*time.Second, func() bool { return st.AWS.Calls("DescribeNotebookInstance") >= calls+3 })
		c.clock.Advance(5 * time.Minute) // the CLI's clock, not the emulator's: still Stopping
		select {
		case res = <-done:
		case <-time.After(time.Minute):
			t.Fatal("secds open did not end its wait")
		}
		res.want(t, cli.ExitStarting, "is still Stopping after 5m0s", "run secds open "+scratch+" --team platform again later", "--wait-timeout")
		if strings.TrimSpace(res.stdout) != "" {
			t.Errorf("a link was printed: %q", redact(res.stdout))
		}
	})
	t.Run("a team that does not start notebooks", func(t *testing.T) {
		alice := newLaptop(t, st, "alice")
		alice.configure()
		alice.run("open", "fraud-alice-scratch", "--print-url").want(t, cli.ExitDenied,
			"fraud-alice-scratch is stopped", "team fraud does not let secds start its notebooks",
			"ask the data platform team (#ds-platform) to start fraud-alice-scratch", "start_stopped")
		if n := st.AWS.Starts("fraud-alice-scratch"); n != 0 {
			t.Errorf("SageMaker accepted %d starts, want none", n)
		}
	})
}

// TestStartRefusedPage: in the browser, a stopped notebook of a team that
// does not allow starting is a readable, accessible refusal that says whom
// to ask.
func TestStartRefusedPage(t *testing.T) {
	seed := devSeed(t) // fraud-alice-scratch stopped
	st := StartStack(t, StackOptions{Provider: sharedProvider(t), Seed: &seed})
	b := NewBrowser(t)
	if status := signIn(t, st, b, "/open?notebook=fraud-alice-scratch", "alice"); status != http.StatusConflict {
		t.Fatalf("status %d, want 409", status)
	}
	b.CheckPage("refusal-start", "The notebook is stopped", "team fraud does not let secds start its notebooks",
		"ask the data platform team (#ds-platform) to start fraud-alice-scratch")
	if n := st.AWS.Starts("fraud-alice-scratch"); n != 0 {
		t.Errorf("SageMaker accepted %d starts, want none", n)
	}
}

// TestConcurrentOpensAcrossReplicasStartOnce: several tabs open one stopped
// notebook at once through two broker replicas; SageMaker gets one start,
// the audit trail has one, and every tab waits for the same notebook.
func TestConcurrentOpensAcrossReplicasStartOnce(t *testing.T) {
	st := StartStack(t, StackOptions{Replicas: 2})
	const tabs = 6
	users := make([]*HTTPUser, tabs)
	for i := range users {
		users[i] = NewHTTPUser(t, st, "admin")
		users[i].Visit(st.URL+"/login?next=/").MustContain(t, http.StatusOK, "Hello, admin")
	}
	pages := make(chan Page, tabs)
	errs := make(chan error, tabs)
	for _, u := range users {
		go func() {
			p, err := u.Follow(st.URL + "/open?notebook=" + scratch)
			if err != nil {
				errs <- err
				return
			}
			pages <- p
		}()
	}
	for range tabs {
		select {
		case err := <-errs:
			t.Error(err)
		case p := <-pages:
			p.MustContain(t, http.StatusOK, "Starting your notebook", `id="wait-state">Pending<`)
		}
	}
	if n := st.AWS.Starts(scratch); n != 1 {
		t.Errorf("SageMaker accepted %d starts, want 1", n)
	}
	if n := countAudit(t, st, "notebook_start", "admin", ""); n != 1 {
		t.Errorf("%d start events in the audit trail, want 1", n)
	}
	if n := countAudit(t, st, "open", "admin", "waiting"); n != tabs {
		t.Errorf("%d open events waiting, want %d", n, tabs)
	}
	backends := map[int]bool{}
	for _, h := range st.Proxy.Hops() {
		if h.Path == "/open" && h.Status == http.StatusSeeOther {
			backends[h.Backend] = true
		}
	}
	if len(backends) != 2 {
		t.Errorf("the opens reached replicas %v, want both", backends)
	}
}
