//go:build !release

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/secds/secds/internal/dev/devstack"
)

// hasDevStack says whether this build links the dev stack (the AWS
// emulator, the dev identity provider and the demo config). Release builds
// (-tags release: make build, the Dockerfile) leave it out.
const hasDevStack = true

// devStateDirName is the dev stack's folder under the user's cache
// directory: the mapping and its history, the broker's keys, the request log.
const devStateDirName = "secds-dev"

func runDev(ctx context.Context, o devOptions, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "secds-broker: %v\n", err)
		return 1
	}
	stateDir, kept := devStateDir()
	if o.fresh && kept {
		if err := os.RemoveAll(stateDir); err != nil {
			return fail(fmt.Errorf("--fresh: %w", err))
		}
	}
	// The request log starts empty at every start: it is for watching
	// (tail -f), not for keeping. Without a state folder it is a new file
	// of its own in the temporary directory, never a fixed name there.
	var logFile *os.File
	var err error
	if kept {
		if err = os.MkdirAll(stateDir, 0o700); err != nil {
			return fail(fmt.Errorf("dev stack: state directory: %w", err))
		}
		logFile, err = os.OpenFile(filepath.Join(stateDir, "requests.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	} else {
		logFile, err = os.CreateTemp("", "secds-dev-requests-*.log")
	}
	if err != nil {
		return fail(fmt.Errorf("dev stack: request log: %w", err))
	}
	defer logFile.Close()
	logPath := logFile.Name()
	if !kept {
		defer os.Remove(logPath)
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	log := slog.New(devLogHandler{term: slog.NewTextHandler(stderr, opts), file: slog.NewTextHandler(logFile, opts)})

	sopts := devstack.Options{Addr: o.listen, Log: log, AuditOut: stdout}
	if kept {
		sopts.StateDir = stateDir
	}
	st, err := devstack.Start(ctx, sopts)
	if err != nil {
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			fmt.Fprintf(stderr, "secds-broker: %v\nSomething else listens there: stop it, or pick another port with --listen 127.0.0.1:8081.\n", err)
			return 1
		case kept:
			// Most likely a mapping edited badly while the stack was down.
			fmt.Fprintf(stderr, "secds-broker: %v\nThe dev stack's state is in %s: fix it, or start over with --fresh.\n", err, stateDir)
			return 1
		}
		return fail(err)
	}
	keptNote := "kept across restarts; --fresh starts over"
	if !st.Kept {
		keptNote = "NOT kept: no user cache directory, so a temporary one, removed at exit"
	}
	fmt.Fprintf(stderr, `
secds dev stack is running (loopback only; Ctrl-C to stop)

  broker               %[1]s/
  alice's notebook     %[1]s/open?notebook=fraud-alice
  a stopped notebook   %[1]s/open?notebook=platform-admin-scratch  (sign in as admin: it starts, in a few seconds)
  bob's Studio         %[1]s/open?studio=1  (SageMaker Studio domain d-secdsdev0001, sign in as bob)
  admin page           %[1]s/admin  (sign in as admin)
  identity provider    %[2]s  (demo users: alice, bob, carol, admin; no passwords)
  AWS emulator         %[3]s  (STS + SageMaker; notebooks fraud-alice, fraud-alice-scratch, marketing-bob, platform-admin, platform-admin-scratch)
  team mapping         %[4]s  (edit it: changes apply within a second)
  state                %[5]s  (mapping edits, history, keys: %[6]s)

Sign out, or use a private window, before trying another demo user.
From a terminal:  go run ./cmd/secds configure --broker %[1]s && go run ./cmd/secds open

Where the output goes:
  audit events (JSON lines)           stdout, here
  broker log (start-up, reloads)      stderr, here
  requests and AWS emulator calls     %[7]s  (tail -f it)

`, st.BrokerURL, st.IdPURL, st.AWSURL, st.MappingFile, st.StateDir, keptNote, logPath)
	<-ctx.Done()
	time.Sleep(100 * time.Millisecond) // let the servers finish shutting down
	return 0
}

// devStateDir is where the dev stack keeps its state: the user's cache
// directory's secds-dev, or, without one, nowhere (kept is false).
func devStateDir() (dir string, kept bool) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(base, devStateDirName), true
}
