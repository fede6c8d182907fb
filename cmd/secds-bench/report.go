package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

func printMachine(w io.Writer, o options) {
	model := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	fmt.Fprintf(w, "secds-bench: %s, %d CPUs (GOMAXPROCS %d), %s %s/%s, %s\n", model, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "runs of %s, concurrency %d (c256: %d), %d round(s), scenarios %s; rate limits off; all on 127.0.0.1\n",
		o.duration, o.concurrency, o.high, o.rounds, strings.Join(o.scenarios, ","))
}

const rowFormat = "%-5s %-5s %4s %7s %8s %8s %8s %6s %6s %6s %6s %8s %5s  %s\n"

func printHeader(w io.Writer) {
	fmt.Fprintln(w, "CPU µs per request: srv = the server measured (broker, B or C), bknd = what it calls (the emulator, C's upstream), cli = the load generator")
	fmt.Fprintf(w, rowFormat, "round", "run", "c", "req/s", "p50", "p90", "p99", "errors", "srv", "bknd", "cli", "peak RSS", "×B", "AWS calls per request")
}

func printRow(w io.Writer, m measured) {
	ratio, round := "-", "-"
	if m.round > 0 {
		round = fmt.Sprint(m.round)
	}
	if m.name != "B" && m.ratio > 0 {
		ratio = fmt.Sprintf("%.2f", m.ratio)
	}
	errs := fmt.Sprint(m.errors)
	if m.errors > 0 {
		var parts []string
		for s, n := range m.statuses {
			parts = append(parts, fmt.Sprintf("%d×%d", n, s))
		}
		sort.Strings(parts)
		errs += " (" + strings.Join(parts, " ") + ")"
	}
	calls := callsPerRequest(m)
	if m.usedUp {
		calls += " [the fresh users ran out before the time]"
	}
	fmt.Fprintf(w, rowFormat, round, m.name, fmt.Sprint(m.concurrency), fmt.Sprintf("%.0f", m.rate()),
		ms(percentile(m.latencies, 50)), ms(percentile(m.latencies, 90)), ms(percentile(m.latencies, 99)),
		errs, fmt.Sprintf("%.0f", micros(m.cpuPerReq())), fmt.Sprintf("%.0f", micros(m.perReq(m.backendCPU))), fmt.Sprintf("%.0f", micros(m.perReq(m.clientCPU))), fmt.Sprintf("%.0f MB", float64(m.rss)/(1<<20)), ratio, calls)
}

func callsPerRequest(m measured) string {
	if m.calls == nil {
		return "-"
	}
	if m.n == 0 || len(m.calls) == 0 {
		return "none"
	}
	var ops []string
	for op := range m.calls {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %.3g", op, float64(m.calls[op])/float64(m.n)))
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// span is "lo–hi" of a figure over the rounds.
func span(ms []measured, f func(measured) float64, format string) string {
	if len(ms) == 0 {
		return "-"
	}
	vs := make([]float64, len(ms))
	for i, m := range ms {
		vs[i] = f(m)
	}
	lo, hi := slices.Min(vs), slices.Max(vs)
	if fmt.Sprintf(format, lo) == fmt.Sprintf(format, hi) {
		return fmt.Sprintf(format, lo)
	}
	return fmt.Sprintf(format+"–"+format, lo, hi)
}

func printSummary(w io.Writer, o options, all []measured) {
	by := func(name string, c int) []measured {
		var out []measured
		for _, m := range all {
			if m.name == name && m.concurrency == c {
				out = append(out, m)
			}
		}
		return out
	}
	fmt.Fprintf(w, "\nsummary over %d round(s) (lo–hi):\n", o.rounds)
	fmt.Fprintf(w, "%-5s %4s %13s %11s %17s %11s %13s %7s\n", "run", "c", "req/s", "×B", "p99", "CPU µs/req", "peak RSS MB", "errors")
	type key struct {
		name string
		c    int
	}
	var seen []key
	for _, m := range all {
		if k := (key{m.name, m.concurrency}); !slices.Contains(seen, k) {
			seen = append(seen, k)
		}
	}
	for _, k := range seen {
		ms := by(k.name, k.c)
		errs := 0
		for _, m := range ms {
			errs += m.errors
		}
		ratio := "-"
		if k.name != "B" && k.name != scTeams {
			ratio = span(ms, func(m measured) float64 { return m.ratio }, "%.2f")
		}
		fmt.Fprintf(w, "%-5s %4d %13s %11s %17s %11s %13s %7d\n", k.name, k.c,
			span(ms, measured.rate, "%.0f"), ratio,
			span(ms, func(m measured) float64 { return float64(percentile(m.latencies, 99)) / 1e6 }, "%.1f")+" ms",
			span(ms, func(m measured) float64 { return micros(m.cpuPerReq()) }, "%.0f"),
			span(ms, func(m measured) float64 { return float64(m.rss) / (1 << 20) }, "%.0f"), errs)
	}

	for _, m := range by(scTeams, o.concurrency) {
		var total int64
		var parts []string
		for _, op := range slices.Sorted(maps.Keys(m.calls)) {
			total += m.calls[op]
			parts = append(parts, fmt.Sprintf("%s %d", op, m.calls[op]))
		}
		fmt.Fprintf(w, "\nAWS calls for %d opens by %d users over %d teams (a fresh broker, discovery_ttl 30s, %s): %d (%s)\n",
			m.n, o.teamUsers, teamCount, m.elapsed.Round(10*time.Millisecond), total, strings.Join(parts, ", "))
	}

	fmt.Fprintln(w, "\ntargets (issue 15), each checked in every round:")
	check := func(what string, ms []measured, ok func(measured) bool, show func(measured) string) {
		if len(ms) == 0 {
			return
		}
		met := true
		var vals []string
		for _, m := range ms {
			met = met && ok(m)
			vals = append(vals, show(m))
		}
		verdict := "met"
		if !met {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %-6s %-52s %s\n", verdict, what, strings.Join(vals, ", "))
	}
	warm, cold, many, high := by(scWarm, o.concurrency), by(scCold, o.concurrency), by(scMany, o.concurrency), by(scHigh, o.high)
	ratio := func(m measured) string { return fmt.Sprintf("%.2f×B", m.ratio) }
	check("warm open ≥ 0.5 × B", warm, func(m measured) bool { return m.ratio >= 0.5 }, ratio)
	check("cold open ≥ 0.25 × B", cold, func(m measured) bool { return m.ratio >= 0.25 }, ratio)
	if len(warm) == len(many) {
		var pairs []measured
		for i, m := range many {
			m.ratio = float64(percentile(m.latencies, 99)) / float64(max(percentile(warm[i].latencies, 99), 1))
			pairs = append(pairs, m)
		}
		check("many: p99 ≤ 2 × warm p99 (same round)", pairs, func(m measured) bool { return m.ratio <= 2 }, func(m measured) string { return fmt.Sprintf("%.2f×", m.ratio) })
		pairs = pairs[:0]
		for i, m := range many {
			m.ratio = float64(m.cpuPerReq()) / float64(max(warm[i].cpuPerReq(), 1))
			pairs = append(pairs, m)
		}
		check(fmt.Sprintf("many: CPU/open ≤ 1.25 × warm's (%d vs 1 notebook)", o.notebooks), pairs, func(m measured) bool { return m.ratio <= 1.25 }, func(m measured) string { return fmt.Sprintf("%.2f×", m.ratio) })
	}
	us := func(m measured) string { return fmt.Sprintf("%.0f µs", micros(m.cpuPerReq())) }
	check("broker CPU ≤ 200 µs per warm open", warm, func(m measured) bool { return m.cpuPerReq() <= 200*time.Microsecond }, us)
	check(fmt.Sprintf("peak RSS < 100 MB at %d concurrent", o.high), high, func(m measured) bool { return m.rss < 100<<20 }, func(m measured) string { return fmt.Sprintf("%.0f MB", float64(m.rss)/(1<<20)) })
	var broker []measured
	for _, m := range all {
		if m.name != "B" && m.name != "C" && m.name != scTeams {
			broker = append(broker, m)
		}
	}
	check("zero errors (every broker run)", broker, func(m measured) bool { return m.errors == 0 }, func(m measured) string { return fmt.Sprintf("%s %d", m.name, m.errors) })
	check("warm open: one AWS call (the presign)", warm, func(m measured) bool {
		return len(m.calls) == 1 && m.calls["CreatePresignedNotebookInstanceUrl"] == int64(m.n)
	}, callsPerRequest)
}
