package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/secds/secds/internal/api"
)

// Waiting for a notebook that is starting. POST /api/v1/open answers 202
// with the notebook's state and a status endpoint when the notebook is not
// running yet (the broker may just have started it). secds open polls the
// status and opens again once the notebook is InService (or Stopped after a
// stop, when the open starts it): the link is made only then, since it
// lives five minutes.

// ExitStarting is secds open --no-wait's exit code when the notebook is not
// running yet (starting, or stopping before a start): no link, try later.
const ExitStarting = 7

// defaultWaitTimeout bounds how long secds open waits for a notebook to
// start; SageMaker usually needs a few minutes.
const defaultWaitTimeout = 10 * time.Minute

// openReply is POST /api/v1/open's answer: a link (200), or a state to wait
// for (202, api.OpenWaitResponse).
type openReply struct {
	api.OpenResponse
	Status            string `json:"status,omitempty"`
	StatusPath        string `json:"status_path,omitempty"`
	RetryAfterSeconds int    `json:"retry_after_seconds,omitempty"`
}

// waiting reports whether the broker answered with a state, not a link.
func (r *openReply) waiting() bool { return r.URL == "" && r.Status != "" }

// waitOptions are secds open's flags about waiting.
type waitOptions struct {
	NoWait  bool
	Timeout time.Duration
}

// startingState is what --no-wait prints with -o json.
type startingState struct {
	Team     string `json:"team"`
	Notebook string `json:"notebook"`
	Status   string `json:"status"`
}

// notReady ends secds open --no-wait on a notebook that is not running yet.
func (a *App) notReady(res *openReply, asJSON bool) error {
	if asJSON {
		if err := writeJSON(a.env.Stdout, startingState{Team: res.Team, Notebook: res.Notebook, Status: res.Status}); err != nil {
			return err
		}
	}
	return Exitf(ExitStarting, "notebook %s (team %s) is %s, not running yet; run secds open %s --team %s again in a few minutes, or without --no-wait to wait for it",
		res.Notebook, res.Team, res.Status, res.Notebook, res.Team)
}

// waitFor polls a starting notebook until it runs, then opens it: it
// returns the link, or an error once opts.Timeout has passed.
func (a *App) waitFor(ctx context.Context, res *openReply, opts waitOptions) (*openReply, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultWaitTimeout
	}
	start := a.env.Now()
	p := newProgress(a.env.Stderr, res.Notebook, res.Team)
	defer p.done()
	req := api.OpenRequest{Team: res.Team, Notebook: res.Notebook}
	statusPath := res.StatusPath
	state := res.Status
	for {
		p.show(state, a.env.Now().Sub(start))
		if a.env.Now().Sub(start) >= opts.Timeout {
			return nil, Exitf(ExitStarting, "notebook %s (team %s) is still %s after %s; SageMaker keeps starting it: run secds open %s --team %s again later (--wait-timeout sets how long to wait)",
				res.Notebook, res.Team, state, opts.Timeout, res.Notebook, res.Team)
		}
		if err := a.pause(ctx, a.pollEvery(res)); err != nil {
			return nil, err
		}
		var st api.NotebookStatus
		if err := a.Do(ctx, http.MethodGet, statusPath, nil, &st); err != nil {
			return nil, err
		}
		state = st.Status
		if !st.Ready && !st.Start {
			continue
		}
		// Running: the link is made now. Stopped after a stop: this open
		// starts it, and the wait goes on.
		next := &openReply{}
		if err := a.Do(ctx, http.MethodPost, "/open", req, next); err != nil {
			return nil, err
		}
		if !next.waiting() {
			p.show("InService", a.env.Now().Sub(start))
			return next, nil
		}
		state = next.Status
		if next.StatusPath != "" {
			statusPath = next.StatusPath
		}
	}
}

// pollEvery is how long to wait between two status checks: the broker's
// hint, or the environment's (tests).
func (a *App) pollEvery(res *openReply) time.Duration {
	if a.env.PollInterval > 0 {
		return a.env.PollInterval
	}
	if res.RetryAfterSeconds > 0 {
		return time.Duration(res.RetryAfterSeconds) * time.Second
	}
	return 3 * time.Second
}

// pause waits d, or until ctx is done (Ctrl-C).
func (a *App) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return Exitf(ExitFailure, "cancelled while waiting for the notebook to start; it keeps starting: run secds open again later")
	case <-t.C:
		return nil
	}
}

// progress shows a wait: on a terminal, one line updated in place with the
// state and the time waited; otherwise a plain line whenever the state
// changes, and one a minute.
type progress struct {
	w              io.Writer
	tty            bool
	notebook, team string
	last           string
	lastLine       time.Duration
	shown          bool
}

func newProgress(w io.Writer, notebook, team string) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd())), notebook: notebook, team: team}
}

func (p *progress) show(state string, waited time.Duration) {
	waited = waited.Truncate(time.Second)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[KWaiting for notebook %s (team %s) to start: %s, %s", p.notebook, p.team, state, clock(waited))
		p.shown = true
		return
	}
	if state == p.last && waited-p.lastLine < time.Minute {
		return
	}
	fmt.Fprintf(p.w, "Notebook %s (team %s) is %s (waited %s).\n", p.notebook, p.team, state, clock(waited))
	p.last, p.lastLine = state, waited
}

func (p *progress) done() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
}

// clock shows a wait as m:ss.
func clock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
