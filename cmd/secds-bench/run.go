package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// target is one measured run: a server process, the URL to load and how.
type target struct {
	name        string
	proc        *child
	backend     *child // what proc calls: the emulator, C's upstream, or nil
	url         string
	callsURL    string // the emulator's call counter; "" for the floors
	concurrency int
	reqs        []request
	once        bool
	count       int // requests; 0: as many as the duration allows
	warmup      int // requests sent, unmeasured, before the run
	duration    time.Duration
	profile     string // a file for the server's CPU profile over the run; "": none
}

// measured is a run's figures.
type measured struct {
	name        string
	round       int
	concurrency int
	outcome
	cpu        time.Duration    // the server process's CPU time over the run
	backendCPU time.Duration    // the emulator's (or C's upstream's) over the run
	clientCPU  time.Duration    // the load generator's (this process's) over the run
	rss        int64            // its peak RSS during the run
	calls      map[string]int64 // AWS calls during the run, by operation
	ratio      float64          // opens/s over B's at the same concurrency in the same round
	usedUp     bool             // cold: the fresh users ran out before the time
}

func (m measured) cpuPerReq() time.Duration { return m.perReq(m.cpu) }

func backendCPU(c *child) (time.Duration, error) {
	if c == nil {
		return 0, nil
	}
	return procCPU(c.pid())
}

// perReq is d over the run's requests.
func (m measured) perReq(d time.Duration) time.Duration {
	if m.n == 0 {
		return 0
	}
	return d / time.Duration(m.n)
}

func measure(ctx context.Context, t target) (measured, error) {
	client := newClient(t.concurrency)
	defer client.CloseIdleConnections()
	if t.warmup > 0 {
		load{url: t.url, concurrency: t.concurrency, duration: time.Minute, count: t.warmup, reqs: t.reqs}.run(ctx, client)
	}
	pid := t.proc.pid()
	cpu0, err := procCPU(pid)
	if err != nil {
		return measured{}, err
	}
	backend0, err := backendCPU(t.backend)
	if err != nil {
		return measured{}, err
	}
	client0 := selfCPU()
	if err := resetPeakRSS(pid); err != nil {
		return measured{}, fmt.Errorf("reset the peak RSS of %s: %w", t.name, err)
	}
	calls0, err := awsCalls(ctx, t.callsURL)
	if err != nil {
		return measured{}, err
	}
	profiled := make(chan error, 1)
	if t.profile != "" && len(t.proc.urls) > 1 {
		go func() { profiled <- saveProfile(ctx, t.proc.urls[1], t.duration, t.profile) }()
	} else {
		profiled <- nil
	}
	out := load{url: t.url, concurrency: t.concurrency, duration: t.duration, count: t.count, once: t.once, reqs: t.reqs}.run(ctx, client)
	m := measured{name: t.name, concurrency: t.concurrency, outcome: out}
	m.clientCPU = selfCPU() - client0
	cpu1, err := procCPU(pid)
	if err != nil {
		return measured{}, err
	}
	m.cpu = cpu1 - cpu0
	backend1, err := backendCPU(t.backend)
	if err != nil {
		return measured{}, err
	}
	m.backendCPU = backend1 - backend0
	if m.rss, err = peakRSS(pid); err != nil {
		return measured{}, err
	}
	calls1, err := awsCalls(ctx, t.callsURL)
	if err != nil {
		return measured{}, err
	}
	if calls1 != nil {
		m.calls = map[string]int64{}
		for op, n := range calls1 {
			if d := n - calls0[op]; d > 0 {
				m.calls[op] = d
			}
		}
	}
	m.usedUp = t.once && out.n >= len(t.reqs)
	if err := <-profiled; err != nil {
		return measured{}, fmt.Errorf("profile %s: %w", t.name, err)
	}
	return m, ctx.Err()
}

func run(ctx context.Context, o options, w io.Writer) error {
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o700); err != nil {
			return fmt.Errorf("-profile: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "secds-bench-")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	h := &harness{dir: dir, self: self}
	defer h.close()
	printMachine(w, o)

	fmt.Fprintln(w, "starting the emulator, the broker and the floors (child processes)...")
	small, err := h.startStack(world{kind: worldSmall}, "30s")
	if err != nil {
		return err
	}
	var many *stack
	if o.has(scMany) {
		if many, err = h.startStack(world{kind: worldMany, notebooks: o.notebooks}, o.manyTTL.String()); err != nil {
			return err
		}
	}
	// -trace: a second small world whose broker traces every request.
	var sink *child
	var tracedStack *stack
	var tracedReqs []request
	if o.trace {
		if sink, err = h.start("otlp"); err != nil {
			return err
		}
		if tracedStack, err = h.startStack(world{kind: worldSmall, traceTo: sink.urls[0]}, "30s"); err != nil {
			return err
		}
		if tracedReqs, err = tracedStack.requests("w", o.concurrency); err != nil {
			return err
		}
	}
	up, err := h.start("upstream")
	if err != nil {
		return err
	}
	floorB, err := h.start("floor", small.file)
	if err != nil {
		return err
	}
	floorC, err := h.start("floor", small.file, up.urls[0]+"/")
	if err != nil {
		return err
	}
	warmN := o.concurrency
	if o.has(scHigh) {
		warmN = max(warmN, o.high)
	}
	warmReqs, err := small.requests("w", warmN)
	if err != nil {
		return err
	}
	var manyReqs []request
	if many != nil {
		if manyReqs, err = many.requests("u", o.notebooks); err != nil {
			return err
		}
	}
	openURL := func(c *child) string { return c.urls[0] + "/api/v1/open" }
	floors := func(c int) []target {
		return []target{
			{name: "B", proc: floorB, url: openURL(floorB), concurrency: c, reqs: warmReqs[:c], warmup: 4 * c},
			{name: "C", proc: floorC, backend: up, url: openURL(floorC), concurrency: c, reqs: warmReqs[:c], warmup: 4 * c},
		}
	}
	printHeader(w)
	var all []measured
	if o.has(scTeams) {
		// A broker of its own, fresh: its first opens and listings count.
		teams, err := h.startStack(world{kind: worldTeams, notebooks: o.teamUsers}, "30s")
		if err != nil {
			return err
		}
		reqs, err := teams.requests("u", o.teamUsers)
		if err != nil {
			return err
		}
		m, err := measure(ctx, target{name: scTeams, proc: teams.broker, backend: teams.aws, url: openURL(teams.broker), callsURL: teams.aws.urls[1],
			concurrency: o.concurrency, reqs: reqs, count: o.teamOpens, duration: 10 * time.Minute})
		if err != nil {
			return fmt.Errorf("%s: %w", scTeams, err)
		}
		printRow(w, m)
		all = append(all, m)
		teams.aws.stop()
		teams.broker.stop()
	}
	for r := 1; r <= o.rounds; r++ {
		if r > 1 {
			// Each round starts from a fresh broker and emulator (see
			// restart); the warm-ups make them warm again.
			for _, st := range []*stack{small, many, tracedStack} {
				if st == nil {
					continue
				}
				if err := h.restart(st); err != nil {
					return err
				}
			}
		}
		var ts []target
		if o.has(scWarm) || o.has(scCold) || o.has(scMany) {
			ts = append(ts, floors(o.concurrency)...)
		}
		c := o.concurrency
		if o.has(scWarm) {
			ts = append(ts, target{name: scWarm, proc: small.broker, backend: small.aws, url: openURL(small.broker), callsURL: small.aws.urls[1], concurrency: c, reqs: warmReqs[:c], warmup: 4 * c})
		}
		if tracedStack != nil {
			ts = append(ts, target{name: "trace", proc: tracedStack.broker, backend: tracedStack.aws, url: openURL(tracedStack.broker), callsURL: tracedStack.aws.urls[1], concurrency: c, reqs: tracedReqs, warmup: 4 * c})
		}
		if o.has(scCold) {
			// Fresh users each round: none has a session in the broker's
			// credential cache, so each open is its first AssumeRole. The
			// team's notebook list is cached (from warm), as it would be.
			cold, err := small.requests(fmt.Sprintf("c%d-", r), o.coldUsers)
			if err != nil {
				return err
			}
			ts = append(ts, target{name: scCold, proc: small.broker, backend: small.aws, url: openURL(small.broker), callsURL: small.aws.urls[1], concurrency: c, reqs: cold, once: true})
		}
		if many != nil {
			ts = append(ts, target{name: scMany, proc: many.broker, backend: many.aws, url: openURL(many.broker), callsURL: many.aws.urls[1], concurrency: c, reqs: manyReqs, warmup: len(manyReqs)})
		}
		if o.has(scHigh) {
			ts = append(ts, floors(o.high)...)
			ts = append(ts, target{name: scHigh, proc: small.broker, backend: small.aws, url: openURL(small.broker), callsURL: small.aws.urls[1], concurrency: o.high, reqs: warmReqs[:o.high], warmup: 2 * o.high})
		}
		var round []measured
		for _, t := range ts {
			t.duration = o.duration
			if o.profile != "" && t.name != "B" && t.name != "C" {
				t.profile = filepath.Join(o.profile, fmt.Sprintf("round%d-%s.pprof", r, t.name))
			}
			m, err := measure(ctx, t)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r, t.name, err)
			}
			m.round = r
			for _, b := range round {
				if b.name == "B" && b.concurrency == m.concurrency && b.rate() > 0 {
					m.ratio = m.rate() / b.rate()
				}
			}
			round = append(round, m)
			printRow(w, m)
		}
		all = append(all, round...)
	}
	printSummary(w, o, all)
	if sink != nil {
		// Restarted brokers flushed their spans as they stopped; the last
		// one's are still in its batch.
		tracedStack.broker.stop()
		if n, err := awsCalls(ctx, sink.urls[1]); err == nil {
			fmt.Fprintf(w, "trace: the OTLP sink received %d spans (the last broker's flushed at its stop)\n", n["spans"])
		}
	}
	return nil
}

// saveProfile writes the CPU profile of the process serving base over the
// next d (whole seconds, at least one) to file.
func saveProfile(ctx context.Context, base string, d time.Duration, file string) error {
	secs := max(int(d/time.Second), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
