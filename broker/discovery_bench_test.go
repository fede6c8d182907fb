package broker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/awsemu"
)

// manyNotebooks are n notebooks of team fraud, each owned by another user,
// added to the dev seed's six.
func manyNotebooks(n int) []awsemu.Notebook {
	nbs := make([]awsemu.Notebook, n)
	for i := range nbs {
		nbs[i] = awsemu.Notebook{Name: fmt.Sprintf("fraud-user%04d", i), Tags: map[string]string{"team": "fraud", "owner": fmt.Sprintf("user%04d", i)}}
	}
	return nbs
}

// BenchmarkOpenManyNotebooks is a warm open (session and notebook list
// cached; one presign call to the loopback emulator per op) in an account
// with 100 and 1,000 extra notebooks of the same team. The broker's share
// of it should not grow with the number of notebooks.
func BenchmarkOpenManyNotebooks(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("notebooks=%d", n), func(b *testing.B) {
			r := newRigOpts(b, configs.DevTeams, rigOptions{notebooks: manyNotebooks(n)})
			ctx := context.Background()
			req := broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}
			if _, err := r.b.Open(ctx, alice, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.b.Open(ctx, alice, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListManyNotebooks is one identity's overview (List) with the
// team's list cached: no AWS call at all, so it is the broker's own cost of
// picking the identity's notebooks out of the team's.
func BenchmarkListManyNotebooks(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("notebooks=%d", n), func(b *testing.B) {
			r := newRigOpts(b, configs.DevTeams, rigOptions{notebooks: manyNotebooks(n)})
			ctx := context.Background()
			if _, err := r.b.List(ctx, alice, meta); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				ov, err := r.b.List(ctx, alice, meta)
				if err != nil || len(ov.Notebooks) != 2 {
					b.Fatalf("%d notebooks, %v", len(ov.Notebooks), err)
				}
			}
		})
	}
}

// BenchmarkRelistManyNotebooks is a list that must wait for a relisting:
// the clock moves a whole TTL per op, so every op lists the team's
// notebooks afresh (ListNotebookInstances, one ListTags per notebook, on
// the loopback emulator). It is the wait of a team's first open, and, before
// background refresh, of one open per TTL. The rtt=2ms variants hold each
// ListTags answer back 2 ms (an emulator fault), as a stand-in for the
// network round trip to AWS that loopback lacks.
func BenchmarkRelistManyNotebooks(b *testing.B) {
	for _, rtt := range []time.Duration{0, 2 * time.Millisecond} {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("rtt=%s/notebooks=%d", rtt, n), func(b *testing.B) {
				var mu sync.Mutex
				clock := time.Now()
				now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
				r := newRigOpts(b, configs.DevTeams, rigOptions{notebooks: manyNotebooks(n), limits: broker.Config{Now: now, DiscoveryTTL: time.Minute}})
				if rtt > 0 {
					r.emu.InjectFault("ListTags", awsemu.Fault{Delay: rtt})
				}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					mu.Lock()
					clock = clock.Add(time.Minute)
					mu.Unlock()
					if _, err := r.b.List(ctx, alice, meta); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
