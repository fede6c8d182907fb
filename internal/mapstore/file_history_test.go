package mapstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/testutil"
)

func modeOf(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// checkPrivate fails unless hist is 0700 and every file in it 0600.
func checkPrivate(t *testing.T, hist string) {
	t.Helper()
	if m := modeOf(t, hist); m != 0o700 {
		t.Errorf("history directory mode = %04o, want 0700", m)
	}
	des, _ := os.ReadDir(hist)
	if len(des) == 0 {
		t.Fatal("the history is empty")
	}
	for _, de := range des {
		if m := modeOf(t, filepath.Join(hist, de.Name())); m != 0o600 {
			t.Errorf("history file %s mode = %04o, want 0600", de.Name(), m)
		}
	}
}

func TestFileHistoryIsPrivate(t *testing.T) {
	t.Run("a new history: 0700, files 0600, even for a 0644 mapping", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "teams.yaml")
		os.WriteFile(path, []byte("one\n"), 0o644)
		s := openFile(t, path, nil)
		cur, _ := s.Get(context.Background())
		if _, err := s.Put(context.Background(), []byte("two\n"), cur.Version, mapstore.Change{}); err != nil {
			t.Fatal(err)
		}
		checkPrivate(t, path+".history")
	})
	t.Run("an existing 0755 history of 0644 files is tightened", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "teams.yaml")
		s := openFile(t, path, []byte("one\n"))
		s.Close()
		hist := path + ".history"
		des, _ := os.ReadDir(hist)
		for _, de := range des {
			os.Chmod(filepath.Join(hist, de.Name()), 0o644)
		}
		os.Chmod(hist, 0o755)
		openFile(t, path, nil)
		checkPrivate(t, hist)
	})
	t.Run("a history dir created 0755 by someone else is refused", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give the directory to another user")
		}
		path := filepath.Join(t.TempDir(), "teams.yaml")
		os.WriteFile(path, []byte("one\n"), 0o600)
		hist := path + ".history"
		os.Mkdir(hist, 0o755)
		os.Chmod(hist, 0o755)
		if err := os.Chown(hist, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		_, err := mapstore.OpenFile(context.Background(), path, mapstore.FileOptions{HistoryDir: path + ".history", Log: quietLog(), Poll: -1, Keys: testKeys})
		if err == nil || !strings.Contains(err.Error(), hist) || !strings.Contains(err.Error(), "0755") || !strings.Contains(err.Error(), "uid 4242") {
			t.Fatalf("err = %v, want the directory, its mode and owner named", err)
		}
		if des, _ := os.ReadDir(hist); len(des) != 0 {
			t.Errorf("the broker wrote into it: %v", des)
		}
	})
	t.Run("a history dir that is a symlink is refused", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "teams.yaml")
		os.WriteFile(path, []byte("one\n"), 0o600)
		os.Symlink(t.TempDir(), path+".history")
		_, err := mapstore.OpenFile(context.Background(), path, mapstore.FileOptions{HistoryDir: path + ".history", Log: quietLog(), Poll: -1, Keys: testKeys})
		if err == nil || !strings.Contains(err.Error(), "is a symlink") {
			t.Fatalf("err = %v, want the symlink refused", err)
		}
	})
	t.Run("a history record that is a symlink is not read", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "teams.yaml")
		s := openFile(t, path, []byte("one\n"))
		cur, _ := s.Get(context.Background())
		mustPut(t, s, "two\n", cur.Version)
		s.Close()
		content := filepath.Join(path+".history", "000001.yaml")
		os.Remove(content)
		os.Symlink(writeSecret(t), content)
		again := openFile(t, path, nil)
		if r, err := again.At(context.Background(), 1); err == nil || strings.Contains(string(r.Content), secret) || !strings.Contains(err.Error(), "is a symlink") {
			t.Errorf("At(1) = %q, %v; want the link refused", r.Content, err)
		}
	})
}

func mustPut(t *testing.T, s mapstore.Store, content string, v mapstore.Version) mapstore.Revision {
	t.Helper()
	r, err := s.Put(context.Background(), []byte(content), v, mapstore.Change{Author: "alice", Reason: "edit"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rewriteRecord changes version n's metadata record on disk.
func rewriteRecord(t *testing.T, hist string, n int64, change func(map[string]any)) {
	t.Helper()
	p := filepath.Join(hist, fmt.Sprintf("%06d.json", n))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	change(rec)
	b, _ = json.Marshal(rec)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// tamper replaces version n's content and makes its digest file match, as
// someone with write access to the history directory could.
func tamper(t *testing.T, hist string, n int64, content []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(hist, fmt.Sprintf("%06d.yaml", n)), content, 0o600); err != nil {
		t.Fatal(err)
	}
	rewriteRecord(t, hist, n, func(r map[string]any) {
		r["digest"], r["size"] = mapstore.Digest(content), len(content)
	})
}

// lockedOut is a valid mapping an attacker would like to bring back.
var lockedOut = bytes.Replace(bytes.Clone(configs.DevTeams), []byte("fraud"), []byte("fraud2"), 1)

func TestFileTamperedHistoryIsRefusedAfterARestart(t *testing.T) {
	e := startLive(t, configs.DevTeams)
	v1 := e.live.State().Latest
	by := mapstore.By{Username: "admin", Via: "api"}
	v2, err := e.live.Update(context.Background(), mapstore.Update{Content: withNewTeam, Expected: v1.Version, Reason: "edit", By: by})
	if err != nil {
		t.Fatal(err)
	}
	hist := e.path + ".history"
	e.store.Close()

	tamper(t, hist, v1.Number, lockedOut)
	e.store, err = mapstore.OpenFile(context.Background(), e.path, mapstore.FileOptions{HistoryDir: e.path + ".history", Log: slog.New(slog.NewTextHandler(e.logs, nil)), Poll: -1, Keys: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.audit = &testutil.Buffer{}
	if err := e.open(t); err != nil {
		t.Fatal(err)
	}

	entries, err := e.store.History(context.Background())
	if err != nil || len(entries) != 2 {
		t.Fatalf("History = %v, %v", entries, err)
	}
	if old := entries[1]; old.Number != v1.Number || old.Unverified != mapstore.UnverifiedBadMAC {
		t.Errorf("the tampered version is listed as %+v, want it marked %q", old, mapstore.UnverifiedBadMAC)
	}
	if entries[0].Unverified != "" {
		t.Errorf("the genuine version is marked %q", entries[0].Unverified)
	}
	if r, err := e.store.At(context.Background(), v1.Number); !errors.Is(err, mapstore.ErrUnverified) || r.Content != nil {
		t.Errorf("At(tampered) = %q, %v; want ErrUnverified and no content", r.Content, err)
	}
	_, err = e.live.Rollback(context.Background(), v1.Number, mapstore.Update{Expected: v2.Version, By: by})
	if !errors.Is(err, mapstore.ErrUnverified) || !strings.Contains(err.Error(), "version 1") || !strings.Contains(err.Error(), "MAC does not verify") {
		t.Fatalf("rollback to the tampered version: %v, want a clear ErrUnverified", err)
	}
	if cur, _ := e.store.Get(context.Background()); cur.Version != v2.Version {
		t.Errorf("the refused rollback changed the mapping to %v", cur.Version)
	}
	if b, _ := os.ReadFile(e.path); bytes.Equal(b, lockedOut) {
		t.Error("the tampered content reached the mapping file")
	}
	evs := e.auditEvents(t)
	if len(evs) != 2 || evs[0].Code != "mapping_history_unverified" || evs[0].ToVersion != v1.Number ||
		evs[1].Code != "mapping_version_unverified" || evs[1].Decision != audit.Denied || evs[1].Username != "admin" {
		t.Errorf("audit = %+v, want the tampered record at start and the refused rollback", evs)
	}
	if !strings.Contains(e.logs.String(), "FAILS AUTHENTICATION") {
		t.Errorf("log does not report the tampered record:\n%s", e.logs.String())
	}
	// The genuine version still rolls back.
	if _, err := e.live.Rollback(context.Background(), v2.Number, mapstore.Update{By: by}); err != nil {
		t.Errorf("rollback to a genuine version: %v", err)
	}
}

func TestFileHistoryRecordsAreAuthenticated(t *testing.T) {
	setup := func(t *testing.T) (path, hist string, v2 mapstore.Revision) {
		path = filepath.Join(t.TempDir(), "teams.yaml")
		s := openFile(t, path, []byte("one\n"))
		v1, _ := s.Get(context.Background())
		v2 = mustPut(t, s, "two\n", v1.Version)
		mustPut(t, s, "three\n", v2.Version)
		s.Close()
		return path, path + ".history", v2
	}
	tests := []struct {
		name   string
		change func(t *testing.T, hist string)
		want   string
	}{
		{"content changed, digest updated", func(t *testing.T, hist string) { tamper(t, hist, 2, []byte("evil\n")) }, mapstore.UnverifiedBadMAC},
		{"author changed", func(t *testing.T, hist string) {
			rewriteRecord(t, hist, 2, func(r map[string]any) { r["author"] = "bob" })
		}, mapstore.UnverifiedBadMAC},
		{"time changed", func(t *testing.T, hist string) {
			rewriteRecord(t, hist, 2, func(r map[string]any) { r["time"] = "2020-01-01T00:00:00Z" })
		}, mapstore.UnverifiedBadMAC},
		{"renumbered from another version", func(t *testing.T, hist string) {
			b, _ := os.ReadFile(filepath.Join(hist, "000003.json"))
			c, _ := os.ReadFile(filepath.Join(hist, "000003.yaml"))
			os.WriteFile(filepath.Join(hist, "000002.yaml"), c, 0o600)
			os.WriteFile(filepath.Join(hist, "000002.json"), b, 0o600)
			rewriteRecord(t, hist, 2, func(r map[string]any) { r["number"] = 2 })
		}, mapstore.UnverifiedBadMAC},
		{"written before records were signed (no MAC)", func(t *testing.T, hist string) {
			rewriteRecord(t, hist, 2, func(r map[string]any) { delete(r, "mac") })
		}, mapstore.UnverifiedUnsigned},
		{"unreadable", func(t *testing.T, hist string) {
			os.WriteFile(filepath.Join(hist, "000002.json"), []byte("{"), 0o600)
		}, mapstore.UnverifiedDamaged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, hist, v2 := setup(t)
			tc.change(t, hist)
			s := openFile(t, path, nil)
			e, _ := s.History(context.Background())
			if len(e) != 3 || e[1].Number != v2.Number || e[1].Unverified != tc.want {
				t.Fatalf("history = %+v, want version 2 marked %q", e, tc.want)
			}
			if _, err := s.At(context.Background(), v2.Number); !errors.Is(err, mapstore.ErrUnverified) {
				t.Errorf("At(2) = %v, want ErrUnverified", err)
			}
			if r, err := s.At(context.Background(), 3); err != nil || string(r.Content) != "three\n" {
				t.Errorf("At(3) = %q, %v; the genuine versions stay usable", r.Content, err)
			}
		})
	}

	t.Run("a tampered newest record is not believed: the file is recorded again", func(t *testing.T) {
		path, hist, _ := setup(t)
		rewriteRecord(t, hist, 3, func(r map[string]any) { r["author"] = "mallory" })
		s := openFile(t, path, nil)
		cur, err := s.Get(context.Background())
		if err != nil || cur.Number != 4 || cur.Author == "mallory" || cur.Reason != mapstore.ReasonReRecorded || string(cur.Content) != "three\n" {
			t.Fatalf("current = %+v %q, %v; want version 4 re-recorded", cur.Entry, cur.Content, err)
		}
		s.Close()
		again := openFile(t, path, nil)
		if cur, _ := again.Get(context.Background()); cur.Number != 4 || cur.Unverified != "" {
			t.Errorf("after another restart current = %+v, want the re-recorded version 4, trusted", cur.Entry)
		}
	})
}

func TestFileHistoryKeysRotate(t *testing.T) {
	k1, k2, k3 := testKeys[0], []byte("fedcba9876543210fedcba9876543210"), []byte("another key, 32 bytes long......")
	path := filepath.Join(t.TempDir(), "teams.yaml")
	open := func(keys ...[]byte) *mapstore.File {
		s, err := mapstore.OpenFile(context.Background(), path, mapstore.FileOptions{HistoryDir: path + ".history", Log: quietLog(), Poll: -1, Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	os.WriteFile(path, []byte("one\n"), 0o600)
	s := open(k1)
	v1, _ := s.Get(context.Background())
	mustPut(t, s, "two\n", v1.Version)
	s.Close()
	trusted := func(s *mapstore.File) bool {
		_, err := s.At(context.Background(), v1.Number)
		return err == nil
	}
	// A new key first, the old one still there: old records verify, and
	// are signed again with the new key.
	s = open(k2, k1)
	if !trusted(s) {
		t.Fatal("a record signed with the second key is refused")
	}
	s.Close()
	// The old key dropped: the records re-signed on the last start stay
	// trusted.
	s = open(k2)
	if !trusted(s) {
		t.Error("after the old key was dropped the records are refused: they were not re-signed")
	}
	s.Close()
	// Keys nobody signed with: nothing is trusted.
	s = open(k3)
	if trusted(s) {
		t.Error("a record verifies under a key that never signed it")
	}
	if _, err := mapstore.OpenFile(context.Background(), path, mapstore.FileOptions{HistoryDir: path + ".history", Log: quietLog(), Poll: -1}); err == nil {
		t.Error("a store opened without keys")
	}
}

// A broker restarted on a broken file falls back to the newest valid version
// in the history, but never to one whose record does not authenticate.
func TestFileRestartNeverFallsBackToATamperedVersion(t *testing.T) {
	e := startLive(t, configs.DevTeams)
	os.WriteFile(e.path, broken, 0o644)
	eventually(t, "the broken version is noticed", func() bool { return !e.live.State().Valid() })
	e.store.Close()
	tamper(t, e.path+".history", 1, lockedOut)
	e.store = openFile(t, e.path, nil)
	if err := e.open(t); err == nil {
		t.Fatalf("the broker started serving version %d, a tampered one", e.live.State().Serving.Number)
	}
}
