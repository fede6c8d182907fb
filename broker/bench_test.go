package broker_test

import (
	"context"
	"testing"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
)

// BenchmarkOpen measures one open end to end against the loopback AWS
// emulator with the real SDK clients: AssumeRole, the cached notebook list
// and CreatePresignedNotebookInstanceUrl, each signed by the SDK and checked
// by the emulator with SigV4. It is the broker's own cost plus two loopback
// AWS calls, not AWS's latency.
func BenchmarkOpen(b *testing.B) {
	r := newRigWith(b, configs.DevTeams, nil, broker.Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
			b.Fatal(err)
		}
	}
}
