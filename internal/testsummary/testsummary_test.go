package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRunSummarizesAndFails runs go test through the program on a fixture
// package with a passing, a skipped and a failing test.
func TestRunSummarizesAndFails(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	out := filepath.Join(t.TempDir(), "summary.txt")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-o", out, "--", "-count=1", "./testdata/sample"}, &stdout, &stderr)
	if code == 0 {
		t.Fatalf("exit 0 with a failing test:\n%s\n%s", stdout.String(), stderr.String())
	}
	got := stdout.String()
	for _, want := range []string{"boom", "--- FAIL: TestFails", "FAIL\tgithub.com/secds/secds/internal/testsummary/testdata/sample"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "quiet when it passes") || strings.Contains(got, "=== RUN") {
		t.Errorf("a passing test's output was printed:\n%s", got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"tests FAIL: 3 tests, 1 passed, 1 failed (", "TestFails)", "1 skipped (", "sample.TestSkips)"} {
		if !strings.Contains(last, want) {
			t.Errorf("the closing line lacks %q: %s", want, last)
		}
	}
	if saved, err := os.ReadFile(out); err != nil || strings.TrimSpace(string(saved)) != last {
		t.Errorf("-o file = %q (%v), want the closing line", saved, err)
	}
}

func TestSummaryLine(t *testing.T) {
	const m = "example.com/m"
	events := []event{
		{Action: "run", Package: m + "/a", Test: "TestOK"},
		{Action: "output", Package: m + "/a", Test: "TestOK", Output: "=== RUN   TestOK\n"},
		{Action: "pass", Package: m + "/a", Test: "TestOK"},
		{Action: "skip", Package: m + "/a", Test: "TestNoTool"},
		{Action: "output", Package: m + "/a", Output: "ok  \texample.com/m/a\t0.1s\n"},
		{Action: "pass", Package: m + "/a"},
		{Action: "pass", Package: m + "/e2e", Test: "TestInChromium/sub"},
		{Action: "pass", Package: m + "/e2e", Test: "TestInChromium"},
		{Action: "pass", Package: m + "/e2e", Test: "TestHTTPOnly"},
		{Action: "skip", Package: m + "/e2e", Test: "TestOtherChromium"},
		{Action: "pass", Package: m + "/e2e"},
		// A test that never ends: the binary panicked.
		{Action: "output", Package: m + "/b", Test: "TestHangs", Output: "panic: test timed out\n"},
		{Action: "fail", Package: m + "/b"},
		{Action: "build-output", ImportPath: m + "/c", Output: "c/c.go:1: syntax error\n"},
		{Action: "build-fail", ImportPath: m + "/c"},
	}
	var w bytes.Buffer
	r := newReport(&w)
	r.module, r.browserPkg = m, m+"/e2e"
	r.browserTests = map[string]bool{"TestInChromium": true, "TestOtherChromium": true}
	for _, ev := range events {
		r.event(ev)
	}
	want := "tests FAIL: 7 tests, 4 passed, 1 failed (b.TestHangs), 2 skipped (a.TestNoTool, e2e.TestOtherChromium); " +
		"packages failed: b, c; browser suite (Chromium): ran, 1 passed, 1 skipped"
	if got := r.summary(); got != want {
		t.Errorf("summary =\n%s\nwant\n%s", got, want)
	}
	for _, part := range []string{"ok  \texample.com/m/a", "panic: test timed out", "syntax error"} {
		if !strings.Contains(w.String(), part) {
			t.Errorf("output lacks %q:\n%s", part, w.String())
		}
	}
	if !r.failed() {
		t.Error("failed() = false")
	}
}

func TestBrowserSuiteStates(t *testing.T) {
	const pkg = "m/e2e"
	for _, tc := range []struct {
		name   string
		events []event
		want   string
	}{
		{"not run", nil, "browser suite (Chromium): did NOT run"},
		{"all skipped", []event{{Action: "skip", Package: pkg, Test: "TestB"}}, "browser suite (Chromium): did NOT run (1 skipped)"},
		{"failed", []event{{Action: "fail", Package: pkg, Test: "TestB"}}, "browser suite (Chromium): ran, 0 passed, 1 FAILED"},
		{"passed", []event{{Action: "pass", Package: pkg, Test: "TestB"}}, "browser suite (Chromium): ran, 1 passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReport(&bytes.Buffer{})
			r.module, r.browserPkg, r.browserTests = "m", pkg, map[string]bool{"TestB": true}
			for _, ev := range tc.events {
				r.event(ev)
			}
			if got := r.browserSummary(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBrowserTests(t *testing.T) {
	got, err := browserTests("testdata/e2e", "NewBrowser")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"TestDirect": true, "TestThroughHelper": true, "TestHandedToRun": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("browser tests = %v, want %v", got, want)
	}
}
