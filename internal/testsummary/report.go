package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail
	Test       string
	Output     string
}

type testKey struct{ pkg, test string }

// verboseOnly are package lines go test prints only with -v.
var verboseOnly = map[string]bool{"PASS\n": true, "testing: warning: no tests to run\n": true}

// report prints go test's human-readable output from its events and counts
// the results.
type report struct {
	w       io.Writer
	pending map[testKey][]string // output of tests still running

	passed, failedTests, skipped []testKey
	failedPkgs                   []string

	module       string          // the module's path, left out of names
	browserPkg   string          // the browser suite's import path
	browserTests map[string]bool // its top-level tests that start Chromium
}

func newReport(w io.Writer) *report {
	return &report{w: w, pending: map[testKey][]string{}}
}

func (r *report) read(in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			fmt.Fprintf(r.w, "%s\n", line) // not an event: as it came
			continue
		}
		r.event(ev)
	}
}

func (r *report) event(ev event) {
	switch {
	case ev.Action == "build-output":
		fmt.Fprint(r.w, ev.Output)
	case ev.Action == "build-fail":
		r.failedPkgs = append(r.failedPkgs, ev.ImportPath)
	case ev.Test != "":
		r.testEvent(testKey{ev.Package, ev.Test}, ev)
	case ev.Action == "output":
		// A package's own lines: "ok  pkg 1.2s", "FAIL pkg", a panic; not
		// what only -v (which -json implies) prints.
		if !verboseOnly[ev.Output] && !strings.HasPrefix(ev.Output, "=== ") {
			fmt.Fprint(r.w, ev.Output)
		}
	case ev.Action == "fail":
		// Tests that never ended (a panic, a time-out) failed with it.
		for _, k := range r.pendingOf(ev.Package) {
			r.flush(k)
			r.failedTests = append(r.failedTests, k)
		}
		r.failedPkgs = append(r.failedPkgs, ev.Package)
	case ev.Action == "pass" || ev.Action == "skip":
		for _, k := range r.pendingOf(ev.Package) {
			delete(r.pending, k)
		}
	}
}

func (r *report) testEvent(k testKey, ev event) {
	switch ev.Action {
	case "output":
		r.pending[k] = append(r.pending[k], ev.Output)
	case "pass":
		delete(r.pending, k)
		r.passed = append(r.passed, k)
	case "skip":
		delete(r.pending, k)
		r.skipped = append(r.skipped, k)
	case "fail":
		r.flush(k)
		r.failedTests = append(r.failedTests, k)
	}
}

// flush prints a test's output, as go test does for a failing test (without
// -json's -v markers of a test starting, pausing and going on).
func (r *report) flush(k testKey) {
	for _, l := range r.pending[k] {
		if !strings.HasPrefix(l, "=== ") {
			fmt.Fprint(r.w, l)
		}
	}
	delete(r.pending, k)
}

func (r *report) pendingOf(pkg string) []testKey {
	var ks []testKey
	for k := range r.pending {
		if k.pkg == pkg {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].test < ks[j].test })
	return ks
}

func (r *report) failed() bool { return len(r.failedTests) > 0 || len(r.failedPkgs) > 0 }

// summary is the closing line.
func (r *report) summary() string {
	var b strings.Builder
	status := "ok"
	if r.failed() {
		status = "FAIL"
	}
	n := len(r.passed) + len(r.failedTests) + len(r.skipped)
	fmt.Fprintf(&b, "tests %s: %d tests, %d passed, %d failed", status, n, len(r.passed), len(r.failedTests))
	if len(r.failedTests) > 0 {
		fmt.Fprintf(&b, " (%s)", r.names(r.failedTests))
	}
	fmt.Fprintf(&b, ", %d skipped", len(r.skipped))
	if len(r.skipped) > 0 {
		fmt.Fprintf(&b, " (%s)", r.names(r.skipped))
	}
	if len(r.failedPkgs) > 0 {
		fmt.Fprintf(&b, "; packages failed: %s", strings.Join(r.shortPkgs(r.failedPkgs), ", "))
	}
	b.WriteString("; " + r.browserSummary())
	return b.String()
}

// browserSummary says whether the tests that start Chromium ran and passed.
func (r *report) browserSummary() string {
	if r.browserPkg == "" || len(r.browserTests) == 0 {
		return "browser suite: unknown (no tests that start Chromium found)"
	}
	var passed, failed, skipped []testKey
	for _, set := range []struct {
		ks  []testKey
		dst *[]testKey
	}{{r.passed, &passed}, {r.failedTests, &failed}, {r.skipped, &skipped}} {
		for _, k := range set.ks {
			if k.pkg == r.browserPkg && !strings.Contains(k.test, "/") && r.browserTests[k.test] {
				*set.dst = append(*set.dst, k)
			}
		}
	}
	switch {
	case len(passed)+len(failed)+len(skipped) == 0:
		return "browser suite (Chromium): did NOT run"
	case len(failed) > 0:
		return fmt.Sprintf("browser suite (Chromium): ran, %d passed, %d FAILED", len(passed), len(failed))
	case len(passed) == 0:
		return fmt.Sprintf("browser suite (Chromium): did NOT run (%d skipped)", len(skipped))
	case len(skipped) > 0:
		return fmt.Sprintf("browser suite (Chromium): ran, %d passed, %d skipped", len(passed), len(skipped))
	}
	return fmt.Sprintf("browser suite (Chromium): ran, %d passed", len(passed))
}

func (r *report) names(ks []testKey) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = r.shortPkgs([]string{k.pkg})[0] + "." + k.test
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// shortPkgs drops the module's path, shared by every package here.
func (r *report) shortPkgs(pkgs []string) []string {
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		if rest, ok := strings.CutPrefix(p, r.module+"/"); ok && r.module != "" {
			p = rest
		}
		out[i] = p
	}
	return out
}
