package broker_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
)

// benchLimits keep the team's notebook list for longer than any run, so
// that a long run (-benchtime 20000x) measures what it says: no relisting.
var benchLimits = broker.Config{DiscoveryTTL: time.Hour}

// BenchmarkOpenWarm measures the common open: alice again, with her team
// session and her team's notebook list cached from the first op, so each op
// is the mapping, the caches and one loopback AWS call,
// CreatePresignedNotebookInstanceUrl, signed by the SDK and checked by the
// emulator (SigV4 and IAM). It is the broker's own cost plus the
// emulator's, not AWS's latency.
func BenchmarkOpenWarm(b *testing.B) {
	r := newRigWith(b, configs.DevTeams, nil, benchLimits)
	ctx := context.Background()
	open := func() {
		if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
			b.Fatal(err)
		}
	}
	open()
	assumed, listed := r.emu.Calls("AssumeRole"), r.emu.Calls("ListNotebookInstances")
	b.ReportAllocs()
	for b.Loop() {
		open()
	}
	if n, l := r.emu.Calls("AssumeRole")-assumed, r.emu.Calls("ListNotebookInstances")-listed; n != 0 || l != 0 {
		b.Fatalf("%d AssumeRole and %d ListNotebookInstances calls in warm opens, want none", n, l)
	}
}

// BenchmarkOpenCold measures an open that must make a team session: each op
// is alice under a subject the broker has not seen, so the credential cache
// (keyed by subject, among others) misses and the op calls AssumeRole before
// the presign; the team's notebook list stays cached, as for the first open
// of a new member of a team in use. Two loopback AWS calls per op; AWS sees
// what alice's first open of the day sends, since the subject is not sent.
func BenchmarkOpenCold(b *testing.B) {
	r := newRigWith(b, configs.DevTeams, nil, benchLimits)
	ctx := context.Background()
	i := 0
	open := func() {
		id := alice
		i++
		id.Subject = "dev-alice-" + strconv.Itoa(i)
		if _, err := r.b.Open(ctx, id, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
			b.Fatal(err)
		}
	}
	open() // the notebook list
	assumed, listed := r.emu.Calls("AssumeRole"), r.emu.Calls("ListNotebookInstances")
	ops := 0
	b.ReportAllocs()
	for b.Loop() {
		open()
		ops++
	}
	if n, l := r.emu.Calls("AssumeRole")-assumed, r.emu.Calls("ListNotebookInstances")-listed; n != ops || l != 0 {
		b.Fatalf("%d AssumeRole and %d ListNotebookInstances calls in %d cold opens, want one AssumeRole each and no list", n, l, ops)
	}
}
