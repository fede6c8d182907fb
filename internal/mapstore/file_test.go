package mapstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/mapstore/conformance"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testKeys stand for the broker's session keys.
var testKeys = [][]byte{[]byte("0123456789abcdef0123456789abcdef")}

// openFile seeds path and opens a store on it, watching by fsnotify alone
// (no polling), so the tests show the watch works.
func openFile(t *testing.T, path string, seed []byte) *mapstore.File {
	t.Helper()
	if seed != nil {
		if err := os.WriteFile(path, seed, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	s, err := mapstore.OpenFile(context.Background(), path, mapstore.FileOptions{HistoryDir: path + ".history", Log: quietLog(), Poll: -1, Keys: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFileConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T, seed []byte) mapstore.Store {
		return openFile(t, filepath.Join(t.TempDir(), "teams.yaml"), seed)
	})
}

func TestFileWritesAtomicallyWithHistoryOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "teams.yaml")
	s := openFile(t, path, []byte("one\n"))
	cur, _ := s.Get(context.Background())
	r, err := s.Put(context.Background(), []byte("two\n"), cur.Version, mapstore.Change{Author: "alice", Reason: "edit"})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two\n" {
		t.Errorf("file = %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want the file's own 0640 kept", fi.Mode().Perm())
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.Contains(de.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", de.Name())
		}
	}
	hist := path + ".history"
	if b, _ := os.ReadFile(filepath.Join(hist, fmt.Sprintf("%06d.yaml", r.Number))); string(b) != "two\n" {
		t.Errorf("history content = %q", b)
	}
	var e mapstore.Entry
	b, _ := os.ReadFile(filepath.Join(hist, fmt.Sprintf("%06d.json", r.Number)))
	if err := json.Unmarshal(b, &e); err != nil || e.Author != "alice" || e.Digest != r.Digest || e.Time.IsZero() {
		t.Errorf("history metadata = %s (%v)", b, err)
	}
}

func TestFileKeepsVersionsAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "teams.yaml")
	s := openFile(t, path, []byte("one\n"))
	v1, _ := s.Get(context.Background())
	v2, err := s.Put(context.Background(), []byte("two\n"), v1.Version, mapstore.Change{Author: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	again := openFile(t, path, nil)
	cur, err := again.Get(context.Background())
	if err != nil || cur.Version != v2.Version || cur.Author != "alice" {
		t.Fatalf("after restart current = %+v, %v; want %v unchanged", cur.Entry, err, v2.Version)
	}
	again.Close()

	// Edited while the broker was down: recorded as a new version at start.
	os.WriteFile(path, []byte("three\n"), 0o640)
	third := openFile(t, path, nil)
	cur, _ = third.Get(context.Background())
	if cur.Number != v2.Number+1 || cur.Reason != mapstore.ReasonOnDisk || string(cur.Content) != "three\n" {
		t.Errorf("offline edit = %+v %q, want version %d changed on disk", cur.Entry, cur.Content, v2.Number+1)
	}
	if old, err := third.At(context.Background(), v1.Number); err != nil || string(old.Content) != "one\n" {
		t.Errorf("version 1 after restarts = %q, %v", old.Content, err)
	}
}

// waitWithin waits for version want and fails if it took longer than limit.
func waitWithin(t *testing.T, ch <-chan mapstore.Revision, limit time.Duration, match func(mapstore.Revision) bool) mapstore.Revision {
	t.Helper()
	start := time.Now()
	timeout := time.After(limit)
	for {
		select {
		case r := <-ch:
			if match(r) {
				return r
			}
		case <-timeout:
			t.Fatalf("no matching revision within %v", time.Since(start))
			return mapstore.Revision{}
		}
	}
}

func TestFileSeesEditsOnDisk(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string, content []byte)
	}{
		{"written in place", func(t *testing.T, path string, content []byte) {
			if err := os.WriteFile(path, content, 0o640); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced by rename, as editors and git do", func(t *testing.T, path string, content []byte) {
			tmp := path + ".swp"
			os.WriteFile(tmp, content, 0o640)
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "teams.yaml")
			s := openFile(t, path, []byte("one\n"))
			before, _ := s.Get(context.Background())
			ch, _ := s.Watch(t.Context())
			tc.write(t, path, []byte("by hand\n"))
			r := waitWithin(t, ch, time.Second, func(r mapstore.Revision) bool { return string(r.Content) == "by hand\n" })
			if r.Number != before.Number+1 || r.Reason != mapstore.ReasonOnDisk {
				t.Errorf("on-disk edit = %+v", r.Entry)
			}
			// An admin whose write was based on the version before the
			// edit is told, rather than overwriting it.
			if _, err := s.Put(context.Background(), []byte("api\n"), before.Version, mapstore.Change{}); !errors.Is(err, mapstore.ErrConflict) {
				t.Errorf("put based on the pre-edit version: %v, want ErrConflict", err)
			}
		})
	}
}

// configMapDir lays out a directory as the kubelet mounts a ConfigMap:
// teams.yaml → ..data/teams.yaml, ..data → ..<timestamp>/.
type configMapDir struct {
	t   *testing.T
	dir string
	gen int
}

func newConfigMapDir(t *testing.T, content []byte) *configMapDir {
	c := &configMapDir{t: t, dir: t.TempDir()}
	c.update(content)
	if err := os.Symlink(filepath.Join("..data", "teams.yaml"), filepath.Join(c.dir, "teams.yaml")); err != nil {
		t.Fatal(err)
	}
	return c
}

// update swaps in new content the way the kubelet does: a new timestamped
// directory, a new symlink renamed over ..data, the old directory removed.
func (c *configMapDir) update(content []byte) {
	c.gen++
	ts := fmt.Sprintf("..2026_01_01_00_00_%02d.%d", c.gen, c.gen)
	if err := os.Mkdir(filepath.Join(c.dir, ts), 0o755); err != nil {
		c.t.Fatal(err)
	}
	os.WriteFile(filepath.Join(c.dir, ts, "teams.yaml"), content, 0o644)
	old, _ := os.Readlink(filepath.Join(c.dir, "..data"))
	if err := os.Symlink(ts, filepath.Join(c.dir, "..data_tmp")); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(c.dir, "..data_tmp"), filepath.Join(c.dir, "..data")); err != nil {
		c.t.Fatal(err)
	}
	if old != "" {
		os.RemoveAll(filepath.Join(c.dir, old))
	}
}

func TestFileSeesConfigMapSymlinkSwap(t *testing.T) {
	cm := newConfigMapDir(t, []byte("one\n"))
	s := openFile(t, filepath.Join(cm.dir, "teams.yaml"), nil)
	ch, _ := s.Watch(t.Context())
	for i, content := range []string{"two\n", "three\n"} {
		cm.update([]byte(content))
		r := waitWithin(t, ch, time.Second, func(r mapstore.Revision) bool { return string(r.Content) == content })
		if r.Number != int64(i+2) {
			t.Errorf("swap %d: version %d, want %d", i+1, r.Number, i+2)
		}
	}
}

func TestFileReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root writes through read-only permissions: run this test again
		// as nobody, in a directory nobody may use.
		asNobody(t, "TestFileReadOnly")
		return
	}
	dir := os.Getenv(nobodyDirEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "teams.yaml")
	os.WriteFile(path, []byte("one\n"), 0o444)
	os.Chmod(dir, 0o555)
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	s := openFile(t, path, nil) // the history falls back to memory
	cur, err := s.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), []byte("two\n"), cur.Version, mapstore.Change{}); !errors.Is(err, mapstore.ErrReadOnly) {
		t.Errorf("put on a read-only mount: %v, want ErrReadOnly", err)
	}
}

func TestETagRoundTrip(t *testing.T) {
	v := mapstore.Version{Number: 12, Digest: mapstore.Digest([]byte("x"))}
	got, err := mapstore.ParseETag(v.ETag())
	if err != nil || got != v {
		t.Fatalf("ParseETag(%s) = %v, %v", v.ETag(), got, err)
	}
	for _, bad := range []string{"", "*", `W/` + v.ETag(), `"12"`, `"0-` + strings.Repeat("a", 64) + `"`, `"12-` + strings.Repeat("z", 64) + `"`, "12-abc"} {
		if _, err := mapstore.ParseETag(bad); err == nil {
			t.Errorf("ParseETag(%q) accepted", bad)
		}
	}
}
