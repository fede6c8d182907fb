package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// devPackages are the stand-ins and harnesses a release binary must not
// link: the AWS emulator, the dev identity provider, the dev stack, the
// demo config and the test harnesses.
var devPackages = []string{
	"github.com/secds/secds/internal/dev/",
	"github.com/secds/secds/configs",
	"github.com/secds/secds/internal/e2e",
	"github.com/secds/secds/internal/testutil",
}

func goTool(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to check the release build: %v", err)
	}
	return bin
}

// deps lists the packages `go list -deps` says the two binaries link with
// the given build tags.
func deps(t *testing.T, tags string) []string {
	t.Helper()
	args := []string{"list", "-deps", "-f", "{{.ImportPath}}"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command(goTool(t), append(args, "github.com/secds/secds/cmd/secds-broker", "github.com/secds/secds/cmd/secds")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	return strings.Fields(string(out))
}

func devIn(pkgs []string) []string {
	var found []string
	for _, p := range pkgs {
		for _, d := range devPackages {
			if p == strings.TrimSuffix(d, "/") || strings.HasPrefix(p, d) {
				found = append(found, p)
			}
		}
	}
	return found
}

// TestReleaseBuildLinksNoDevPackage is the check behind make build and the
// Dockerfile: built with -tags release, neither the broker nor the CLI
// links a stand-in. The default build (what `go run ./cmd/secds-broker
// --dev` uses) does link the dev stack, which shows the check can see one.
func TestReleaseBuildLinksNoDevPackage(t *testing.T) {
	release := deps(t, "release")
	if len(release) < 20 {
		t.Fatalf("go list -deps gave only %d packages: %v", len(release), release)
	}
	if bad := devIn(release); len(bad) > 0 {
		t.Errorf("the release build links dev packages: %v", bad)
	}
	var broker bool
	for _, p := range release {
		broker = broker || p == "github.com/secds/secds/server"
	}
	if !broker {
		t.Errorf("the release build does not link the server; the list is not the broker's: %v", release)
	}
	if dev := devIn(deps(t, "")); !strings.Contains(strings.Join(dev, " "), "internal/dev/devstack") {
		t.Errorf("the default build should link the dev stack (for --dev); dev packages found: %v", dev)
	}
}

// TestReleaseBuildSaysItHasNoDevStack builds the release binary and runs it
// with --dev: it refuses with a message that says why and what to run.
func TestReleaseBuildSaysItHasNoDevStack(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "secds-broker")
	build := exec.Command(goTool(t), "build", "-tags", "release", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags release: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--dev")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("--dev on a release build: err %v, want exit status 2", err)
	}
	for _, want := range []string{"release build", "no dev stack", "go run ./cmd/secds-broker --dev", "--config FILE"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
}

// TestReleaseBuildsUseTheTag checks that what ships (the Dockerfile's image
// and make build) is the release build the tests above check.
func TestReleaseBuildsUseTheTag(t *testing.T) {
	for _, f := range []string{"../../Dockerfile", "../../Makefile"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var builds int
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, " build ") || !strings.Contains(line, "./cmd/secds-broker") {
				continue
			}
			builds++
			if !strings.Contains(line, "-tags release") {
				t.Errorf("%s builds secds-broker without -tags release: %s", f, strings.TrimSpace(line))
			}
		}
		if builds == 0 {
			t.Errorf("%s has no build of ./cmd/secds-broker", f)
		}
	}
}
