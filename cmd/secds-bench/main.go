// Command secds-bench is the broker's load harness (make bench). It starts,
// on loopback and each in a child process of its own, the AWS emulator and
// the broker built with compose.Build, mints CLI tokens with the broker's
// auth.Tokens, and drives POST /api/v1/open at a fixed concurrency for a
// fixed time. Interleaved with each scenario it measures two floors with
// the same tokens and the same client: B, an echo handler that only
// verifies the token, and C, B plus one keep-alive HTTP hop. It prints
// opens/s, latency percentiles, errors, the server process's CPU per
// request and peak RSS, the AWS calls per open, and each rate's ratio to B.
// BENCHMARKS.md has the method and the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-child" {
		if err := runChild(os.Args[2], os.Args[3:]); err != nil {
			fmt.Fprintln(os.Stderr, "secds-bench child:", err)
			os.Exit(1)
		}
		return
	}
	opts, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "secds-bench:", err)
		}
		os.Exit(2)
	}
	// SIGPIPE too (stdout piped into head): stop as on Ctrl-C, so that the
	// children end and the temporary directory is removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer stop()
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "secds-bench:", err)
		os.Exit(1)
	}
}
