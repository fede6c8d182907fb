package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Scenarios, in the order a round runs them.
const (
	scWarm = "warm" // the same users again and again: sessions and notebook list cached
	scCold = "cold" // a fresh user each open: each open a first AssumeRole
	scMany = "many" // a user per notebook, among that many notebooks, the list refreshed during the run
	scHigh = "c256" // warm at the high concurrency
	// scTeams counts AWS calls rather than time: a fixed number of opens by
	// a fresh broker's users over ten teams, once, before the rounds.
	scTeams = "teams"
)

var allScenarios = []string{scTeams, scWarm, scCold, scMany, scHigh}

// options are the harness's flags.
type options struct {
	duration    time.Duration
	concurrency int // warm, cold and many
	high        int // the c256 scenario
	rounds      int
	scenarios   []string
	notebooks   int           // many: notebooks and users
	coldUsers   int           // cold: fresh users minted per round; the run ends early when they run out
	manyTTL     time.Duration // many: discovery TTL, short so the run includes list refreshes
	teamUsers   int           // teams: users (a notebook each), spread over ten teams
	teamOpens   int           // teams: opens
	profile     string        // a directory for the broker's CPU profile of each run; "": none
	trace       bool          // also run warm on a broker exporting every request's trace (the row trace)
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("secds-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: secds-bench [flags]\n\nLoad POST /api/v1/open of a broker on loopback, with the floors B and C interleaved.")
		fs.PrintDefaults()
	}
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each measured run lasts")
	fs.IntVar(&o.concurrency, "concurrency", 16, "requests in flight in the warm, cold and many scenarios")
	fs.IntVar(&o.high, "high", 256, "requests in flight in the c256 scenario")
	fs.IntVar(&o.rounds, "rounds", 2, "rounds: each runs every scenario and its floors once, interleaved")
	sc := fs.String("scenarios", strings.Join(allScenarios, ","), "scenarios to run, comma-separated: "+strings.Join(allScenarios, ", "))
	fs.IntVar(&o.notebooks, "notebooks", 1000, "many: notebooks in the account, and users (one notebook each)")
	fs.IntVar(&o.coldUsers, "cold-users", 20000, "cold: fresh users per round (each opens once)")
	fs.DurationVar(&o.manyTTL, "many-discovery-ttl", 2*time.Second, "many: the broker's aws.discovery_ttl, so that the run includes list refreshes")
	fs.IntVar(&o.teamUsers, "team-users", 100, "teams: users over the ten teams, a notebook each")
	fs.IntVar(&o.teamOpens, "team-opens", 1000, "teams: opens counted")
	fs.BoolVar(&o.trace, "trace", false, "after warm, run it again on a broker with tracing on (sample_ratio 1, exporting over OTLP/HTTP to a sink in a child process): the row trace, tracing's cost")
	fs.StringVar(&o.profile, "profile", "", "write the broker's CPU profile of each broker run into this directory (go tool pprof -top FILE)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var errs []error
	for _, s := range strings.Split(*sc, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case !slices.Contains(allScenarios, s):
			errs = append(errs, fmt.Errorf("-scenarios: unknown scenario %q (want some of %s)", s, strings.Join(allScenarios, ", ")))
		case !slices.Contains(o.scenarios, s):
			o.scenarios = append(o.scenarios, s)
		}
	}
	if len(o.scenarios) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("-scenarios: none given"))
	}
	// Run them in the usual order whatever order they were given in.
	slices.SortFunc(o.scenarios, func(a, b string) int { return slices.Index(allScenarios, a) - slices.Index(allScenarios, b) })
	if o.duration <= 0 {
		errs = append(errs, fmt.Errorf("-duration %s: must be positive", o.duration))
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"-concurrency", o.concurrency}, {"-high", o.high}, {"-rounds", o.rounds}, {"-notebooks", o.notebooks}, {"-cold-users", o.coldUsers}, {"-team-users", o.teamUsers}, {"-team-opens", o.teamOpens}} {
		if c.v < 1 {
			errs = append(errs, fmt.Errorf("%s %d: must be at least 1", c.name, c.v))
		}
	}
	if o.notebooks > 9999 || o.teamUsers > 9999 {
		errs = append(errs, fmt.Errorf("-notebooks %d, -team-users %d: at most 9999", o.notebooks, o.teamUsers))
	}
	if o.trace && !slices.Contains(o.scenarios, scWarm) {
		errs = append(errs, errors.New("-trace: compares with warm, which -scenarios leaves out"))
	}
	if o.manyTTL <= 0 || o.manyTTL > time.Hour {
		errs = append(errs, fmt.Errorf("-many-discovery-ttl %s: must be between 0 and 1h", o.manyTTL))
	}
	return o, errors.Join(errs...)
}

func (o options) has(s string) bool { return slices.Contains(o.scenarios, s) }
