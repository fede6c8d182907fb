//go:build release

package main

import (
	"context"
	"fmt"
	"io"
)

// hasDevStack is false in a release build: the AWS emulator, the dev
// identity provider and the demo config are not linked into it.
const hasDevStack = false

// runDev explains that this build cannot run the dev stack, and how to get
// one that can.
func runDev(_ context.Context, _ devOptions, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "secds-broker: this is a release build, which has no dev stack (no AWS emulator, no dev identity provider, no demo mapping).\n"+
		"Run the dev stack from a source checkout with `go run ./cmd/secds-broker --dev`, or run this binary with --config FILE.")
	return 2
}
