//go:build !release

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/secds/secds/internal/dev/devstack"
)

// hasDevStack says whether this build links the dev stack (the AWS
// emulator, the dev identity provider and the demo config). Release builds
// (-tags release: make build, the Dockerfile) leave it out.
const hasDevStack = true

func runDev(ctx context.Context, listen string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	st, err := devstack.Start(ctx, devstack.Options{Addr: listen, Log: log, AuditOut: stdout})
	if err != nil {
		fmt.Fprintf(stderr, "secds-broker: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, `
secds dev stack is running (loopback only; Ctrl-C to stop)

  broker               %[1]s/
  alice's notebook     %[1]s/open?notebook=fraud-alice
  admin page           %[1]s/admin  (sign in as admin)
  identity provider    %[2]s  (demo users: alice, bob, carol, admin; no passwords)
  AWS emulator         %[3]s  (STS + SageMaker; notebooks fraud-alice, fraud-alice-scratch, marketing-bob, platform-admin)
  team mapping         %[4]s  (edit it: changes apply within a second)

From a terminal:  go run ./cmd/secds configure --broker %[1]s && go run ./cmd/secds open

Audit events are printed on stdout as JSON lines.

`, st.BrokerURL, st.IdPURL, st.AWSURL, st.MappingFile)
	<-ctx.Done()
	time.Sleep(100 * time.Millisecond) // let the servers finish shutting down
	return 0
}
