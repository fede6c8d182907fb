// Command testsummary runs `go test -json` with the arguments it is given,
// prints the usual human-readable output (a line per package, the output of
// failing tests), and ends with one line: how many tests passed, failed and
// were skipped (naming the skipped ones) and whether the browser suite (the
// tests that start Chromium) ran. It exits non-zero when go test does or any
// test failed. `make test` runs the tests through it:
//
//	go run ./internal/testsummary -o FILE -- -race -count=1 ./...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testsummary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "also write the summary line to this file")
	goCmd := fs.String("go", "go", "the go command")
	browserDir := fs.String("browser-dir", "internal/e2e", "the package whose tests that call -browser-func are the browser suite")
	browserFunc := fs.String("browser-func", "NewBrowser", "the function that starts Chromium")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	r := newReport(stdout)
	if module, root, err := mainModule(*goCmd); err == nil {
		tests, err := browserTests(filepath.Join(root, *browserDir), *browserFunc)
		if err != nil {
			fmt.Fprintf(stderr, "testsummary: browser suite: %v\n", err)
		}
		r.module = module
		r.browserPkg = module + "/" + filepath.ToSlash(*browserDir)
		r.browserTests = tests
	}

	cmd := exec.Command(*goCmd, append([]string{"test", "-json"}, fs.Args()...)...)
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "testsummary: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testsummary: %v\n", err)
		return 1
	}
	r.read(pipe)
	waitErr := cmd.Wait()

	line := r.summary()
	fmt.Fprintln(stdout, line)
	if *out != "" {
		err := os.MkdirAll(filepath.Dir(*out), 0o755)
		if err == nil {
			err = os.WriteFile(*out, []byte(line+"\n"), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "testsummary: %v\n", err)
		}
	}
	switch {
	case waitErr != nil:
		if ee, ok := waitErr.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		return 1
	case r.failed():
		return 1
	}
	return 0
}

// mainModule is the path and the directory of the module being tested.
func mainModule(goCmd string) (path, dir string, err error) {
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Path}}\t{{.Dir}}").Output()
	if err != nil {
		return "", "", fmt.Errorf("go list -m: %w", err)
	}
	path, dir, ok := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if !ok {
		return "", "", fmt.Errorf("go list -m: %q", out)
	}
	return path, dir, nil
}
