// Package conformance is the test suite every mapstore backend passes, as
// Dex runs one storage suite against every storage. A backend's own tests
// call Run with a constructor for fresh stores.
package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/internal/mapstore"
)

// NewStore returns a fresh store whose current content is seed, for the
// duration of one test.
type NewStore func(t *testing.T, seed []byte) mapstore.Store

// Seed is the content the suite seeds stores with.
var Seed = []byte("version: 1\n# seed\n")

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s mapstore.Store)
	}{
		{"get returns the seed", testGet},
		{"put makes a new version", testPut},
		{"a stale put conflicts and changes nothing", testStale},
		{"concurrent puts: one wins, the others conflict", testConcurrent},
		{"history lists every version, newest first", testHistory},
		{"content is kept byte for byte", testBytes},
		{"rollback content makes a new, identical version", testRollback},
		{"watch sees puts", testWatch},
		{"callers cannot change stored content", testAliasing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t, bytes.Clone(Seed)))
		})
	}
}

func mustGet(t *testing.T, s mapstore.Store) mapstore.Revision {
	t.Helper()
	r, err := s.Get(context.Background())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func mustPut(t *testing.T, s mapstore.Store, content string, expected mapstore.Version) mapstore.Revision {
	t.Helper()
	r, err := s.Put(context.Background(), []byte(content), expected, mapstore.Change{Author: "admin", Reason: "edit"})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return r
}

func testGet(t *testing.T, s mapstore.Store) {
	r := mustGet(t, s)
	if !bytes.Equal(r.Content, Seed) {
		t.Errorf("content = %q, want %q", r.Content, Seed)
	}
	if r.Number < 1 || r.Digest != mapstore.Digest(Seed) || r.Size != len(Seed) {
		t.Errorf("version = %+v, want number ≥ 1, the seed's digest and size", r.Entry)
	}
	if r.Time.IsZero() {
		t.Error("the revision has no time")
	}
}

func testPut(t *testing.T, s mapstore.Store) {
	before := mustGet(t, s)
	r := mustPut(t, s, "version: 1\n# two\n", before.Version)
	if r.Number <= before.Number {
		t.Errorf("new number %d is not above %d", r.Number, before.Number)
	}
	if r.Digest != mapstore.Digest([]byte("version: 1\n# two\n")) || r.Author != "admin" || r.Reason != "edit" || r.Time.IsZero() {
		t.Errorf("revision = %+v", r.Entry)
	}
	after := mustGet(t, s)
	if after.Version != r.Version || string(after.Content) != "version: 1\n# two\n" {
		t.Errorf("Get after Put = %+v %q", after.Version, after.Content)
	}
	// A put of the same content is still a new version: the history says
	// someone wrote it.
	again := mustPut(t, s, "version: 1\n# two\n", r.Version)
	if again.Number <= r.Number || again.Digest != r.Digest {
		t.Errorf("rewrite = %+v, want a higher number and the same digest", again.Version)
	}
}

func testStale(t *testing.T, s mapstore.Store) {
	v1 := mustGet(t, s)
	v2 := mustPut(t, s, "version: 1\n# alice\n", v1.Version)
	histBefore, _ := s.History(context.Background())
	for name, stale := range map[string]mapstore.Version{
		"old version":                v1.Version,
		"zero version":               {},
		"right number, wrong digest": {Number: v2.Number, Digest: v1.Digest},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Put(context.Background(), []byte("version: 1\n# bob\n"), stale, mapstore.Change{Author: "bob"})
			if !errors.Is(err, mapstore.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			var ce *mapstore.ConflictError
			if !errors.As(err, &ce) || ce.Current != v2.Version {
				t.Errorf("conflict = %+v, want current %v", ce, v2.Version)
			}
		})
	}
	if cur := mustGet(t, s); cur.Version != v2.Version || string(cur.Content) != "version: 1\n# alice\n" {
		t.Errorf("after stale puts current = %v %q, want alice's", cur.Version, cur.Content)
	}
	histAfter, _ := s.History(context.Background())
	if len(histAfter) != len(histBefore) {
		t.Errorf("stale puts changed the history: %d → %d entries", len(histBefore), len(histAfter))
	}
}

func testConcurrent(t *testing.T, s mapstore.Store) {
	base := mustGet(t, s)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Put(context.Background(), fmt.Appendf(nil, "version: 1\n# writer %d\n", i), base.Version, mapstore.Change{Author: fmt.Sprint("admin", i)})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, mapstore.ErrConflict):
			t.Fatalf("writer %d: %v, want success or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	cur := mustGet(t, s)
	if want := fmt.Sprintf("version: 1\n# writer %d\n", winner); string(cur.Content) != want {
		t.Errorf("current = %q, want the winner's %q", cur.Content, want)
	}
	hist, _ := s.History(context.Background())
	if hist[0].Version != cur.Version || hist[1].Version != base.Version {
		t.Errorf("history head = %v, %v; want exactly one new version on top of %v", hist[0].Version, hist[1].Version, base.Version)
	}
}

func testHistory(t *testing.T, s mapstore.Store) {
	ctx := context.Background()
	want := map[int64]string{}
	cur := mustGet(t, s)
	want[cur.Number] = string(Seed)
	for i := range 3 {
		content := fmt.Sprintf("version: 1\n# %d\n", i)
		cur = mustPut(t, s, content, cur.Version)
		want[cur.Number] = content
	}
	hist, err := s.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 {
		t.Fatalf("history has %d entries, want 4", len(hist))
	}
	for i, e := range hist {
		if i > 0 && e.Number >= hist[i-1].Number {
			t.Errorf("history not newest first: %d after %d", e.Number, hist[i-1].Number)
		}
		r, err := s.At(ctx, e.Number)
		if err != nil {
			t.Fatalf("At(%d): %v", e.Number, err)
		}
		if string(r.Content) != want[e.Number] || r.Version != e.Version || r.Digest != mapstore.Digest(r.Content) {
			t.Errorf("At(%d) = %v %q, want %q", e.Number, r.Version, r.Content, want[e.Number])
		}
	}
	if hist[0].Author != "admin" || hist[0].Reason != "edit" {
		t.Errorf("newest entry = %+v, want author and reason kept", hist[0])
	}
	if _, err := s.At(ctx, hist[0].Number+100); !errors.Is(err, mapstore.ErrNotFound) {
		t.Errorf("At(unknown) err = %v, want ErrNotFound", err)
	}
}

func testBytes(t *testing.T, s mapstore.Store) {
	cur := mustGet(t, s)
	for _, content := range []string{
		"version: 1\r\nteams: []\r\n",
		"no trailing newline",
		"unicode: \"équipe 🚀\"\n\n\n",
		"# only a comment, indented\n  \t\n",
	} {
		r := mustPut(t, s, content, cur.Version)
		if got := mustGet(t, s); string(got.Content) != content {
			t.Errorf("stored %q, got back %q", content, got.Content)
		}
		cur = r
	}
}

func testRollback(t *testing.T, s mapstore.Store) {
	ctx := context.Background()
	v1 := mustGet(t, s)
	v2 := mustPut(t, s, "version: 1\n# two\n", v1.Version)
	v3 := mustPut(t, s, "version: 1\n# three\n", v2.Version)
	old, err := s.At(ctx, v1.Number)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.Put(ctx, old.Content, v3.Version, mapstore.Change{Author: "admin", Reason: mapstore.RollbackReason(v1.Number)})
	if err != nil {
		t.Fatal(err)
	}
	if back.Number <= v3.Number || back.Digest != v1.Digest {
		t.Errorf("rollback = %v, want a new number above %d with version %d's digest", back.Version, v3.Number, v1.Number)
	}
	if cur := mustGet(t, s); !bytes.Equal(cur.Content, Seed) {
		t.Errorf("after rollback content = %q, want the seed byte for byte", cur.Content)
	}
	if r, err := s.At(ctx, v3.Number); err != nil || string(r.Content) != "version: 1\n# three\n" {
		t.Errorf("the rolled-back version is gone from the history: %v %q", err, r.Content)
	}
}

func testWatch(t *testing.T, s mapstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur := mustGet(t, s)
	r := mustPut(t, s, "version: 1\n# watched\n", cur.Version)
	if got := WaitFor(t, ch, r.Version); string(got.Content) != "version: 1\n# watched\n" {
		t.Errorf("watch got %q", got.Content)
	}
	// A slow reader gets the latest, not a backlog.
	r = mustPut(t, s, "version: 1\n# a\n", r.Version)
	r = mustPut(t, s, "version: 1\n# b\n", r.Version)
	WaitFor(t, ch, r.Version)
	cancel()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, open := <-ch:
			if !open {
				return
			}
		case <-timeout:
			t.Fatal("the watch channel was not closed after its context ended")
		}
	}
}

// WaitFor reads ch until it delivers version want, failing the test after 5s.
func WaitFor(t *testing.T, ch <-chan mapstore.Revision, want mapstore.Version) mapstore.Revision {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got, open := <-ch:
			if !open {
				t.Fatalf("watch closed before version %v", want)
			}
			if got.Version == want {
				return got
			}
		case <-timeout:
			t.Fatalf("watch did not deliver version %v within 5s", want)
		}
	}
}

func testAliasing(t *testing.T, s mapstore.Store) {
	cur := mustGet(t, s)
	cur.Content[0] = 'X'
	content := []byte("version: 1\n# mine\n")
	r, err := s.Put(context.Background(), content, cur.Version, mapstore.Change{})
	if err != nil {
		t.Fatal(err)
	}
	content[0] = 'X'
	r.Content[1] = 'X'
	if got := mustGet(t, s); string(got.Content) != "version: 1\n# mine\n" {
		t.Errorf("stored content changed through a caller's slice: %q", got.Content)
	}
}
