package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/secds/secds/internal/api"
)

// TestWaitProgress: without a terminal, a plain line when the state changes
// and one a minute; on a terminal, one line rewritten in place with the
// time waited.
func TestWaitProgress(t *testing.T) {
	var plain bytes.Buffer
	p := newProgress(&plain, "nb", "fraud")
	for _, step := range []struct {
		state string
		at    time.Duration
	}{{"Stopping", 0}, {"Stopping", 3 * time.Second}, {"Pending", 6 * time.Second}, {"Pending", 30 * time.Second}, {"Pending", 66 * time.Second}, {"InService", 70 * time.Second}} {
		p.show(step.state, step.at)
	}
	p.done()
	want := "Notebook nb (team fraud) is Stopping (waited 0:00).\n" +
		"Notebook nb (team fraud) is Pending (waited 0:06).\n" +
		"Notebook nb (team fraud) is Pending (waited 1:06).\n" +
		"Notebook nb (team fraud) is InService (waited 1:10).\n"
	if plain.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", plain.String(), want)
	}

	ptm, pts, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	p = newProgress(pts, "nb", "fraud")
	p.show("Pending", 5*time.Second)
	p.show("Pending", 8*time.Second)
	p.done()
	pts.Close()
	got, _ := io.ReadAll(ptm)
	for _, w := range []string{"\r\033[KWaiting for notebook nb (team fraud) to start: Pending, 0:05", "\r\033[KWaiting for notebook nb (team fraud) to start: Pending, 0:08"} {
		if !bytes.Contains(got, []byte(w)) {
			t.Errorf("terminal progress %q lacks %q", got, w)
		}
	}
}

// TestNoWaitSaysTheState: --no-wait on a notebook that is starting ends
// with exit code 7, the state, and what to run next; with -o json, the state
// on stdout.
func TestNoWaitSaysTheState(t *testing.T) {
	var stdout bytes.Buffer
	a := &App{env: Env{Stdout: &stdout, Stderr: &bytes.Buffer{}}.withDefaults()}
	res := &openReply{OpenResponse: api.OpenResponse{Team: "platform", Notebook: "nb"}, Status: "Pending", StatusPath: "/notebooks/nb?team=platform"}
	if !res.waiting() {
		t.Fatal("a 202 reply does not read as waiting")
	}
	err := a.notReady(res, true)
	if exitCode(err) != ExitStarting || !strings.Contains(err.Error(), "nb (team platform) is Pending") || !strings.Contains(err.Error(), "secds open nb --team platform") {
		t.Errorf("--no-wait = %v (exit %d)", err, exitCode(err))
	}
	if s := stdout.String(); !strings.Contains(s, `"status": "Pending"`) || strings.Contains(s, "url") {
		t.Errorf("--no-wait -o json printed %s", s)
	}
}

// TestOpening: what secds list says secds open does with each notebook.
func TestOpening(t *testing.T) {
	for _, tc := range []struct {
		nb   api.Notebook
		want string
	}{
		{api.Notebook{Status: "InService"}, "opens it"},
		{api.Notebook{Status: "Stopped", Starts: true}, "starts it"},
		{api.Notebook{Status: "Stopping", Starts: true}, "starts it"},
		{api.Notebook{Status: "Pending", Starts: true}, "waits for it"},
		{api.Notebook{Status: "Stopped"}, "cannot: not running"},
		{api.Notebook{Status: "Failed"}, "cannot: not running"},
	} {
		if got := opening(tc.nb); got != tc.want {
			t.Errorf("opening(%+v) = %q, want %q", tc.nb, got, tc.want)
		}
	}
}
