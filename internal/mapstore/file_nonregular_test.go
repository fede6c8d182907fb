package mapstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secds/secds/internal/mapstore"
)

// secret is what a 0600 file outside the mapping's directory holds: it must
// never reach the history, the store's answers or an error.
const secret = "SECDS_SESSION_KEYS=c2VjcmV0\n"

func writeSecret(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "session-keys")
	if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// noSecretIn fails when any file under dir holds the secret.
func noSecretIn(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
				t.Errorf("%s holds the secret", p)
			}
		}
		return nil
	})
}

// tryOpen opens a store on path and gives up after 5s: a fifo must be
// refused, not read until someone writes to it.
func tryOpen(t *testing.T, path string) (*mapstore.File, error) {
	t.Helper()
	type res struct {
		s   *mapstore.File
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := mapstore.OpenFile(context.Background(), path, mapstore.FileOptions{HistoryDir: path + ".history", Log: quietLog(), Poll: -1, Keys: testKeys})
		ch <- res{s, err}
	}()
	select {
	case r := <-ch:
		if r.s != nil {
			t.Cleanup(func() { r.s.Close() })
		}
		return r.s, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("opening the store hangs")
		return nil, nil
	}
}

func TestFileRefusesWhatIsNotARegularFile(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		kind string
	}{
		{"a symlink to a 0600 file outside the directory", func(t *testing.T, path string) {
			os.Symlink(writeSecret(t), path)
		}, "is a symlink (to "},
		{"a symlink to a file beside it", func(t *testing.T, path string) {
			os.WriteFile(filepath.Join(filepath.Dir(path), "keys"), []byte(secret), 0o600)
			os.Symlink("keys", path)
		}, "is a symlink (to keys)"},
		{"a symlink that mimics a ConfigMap but leaves the directory", func(t *testing.T, path string) {
			dir := filepath.Dir(path)
			out := filepath.Dir(writeSecret(t))
			os.Rename(filepath.Join(out, "session-keys"), filepath.Join(out, "teams.yaml"))
			os.Symlink(out, filepath.Join(dir, "..data"))
			os.Symlink(filepath.Join("..data", "teams.yaml"), path)
		}, "is not a ConfigMap generation"},
		{"a ConfigMap generation that is a link out", func(t *testing.T, path string) {
			dir := filepath.Dir(path)
			out := filepath.Dir(writeSecret(t))
			os.Rename(filepath.Join(out, "session-keys"), filepath.Join(out, "teams.yaml"))
			gen := "..2026_01_01_00_00_00.1"
			os.Symlink(out, filepath.Join(dir, gen))
			os.Symlink(gen, filepath.Join(dir, "..data"))
			os.Symlink(filepath.Join("..data", "teams.yaml"), path)
		}, "changed while it was read"},
		{"a ConfigMap generation whose file is a link out", func(t *testing.T, path string) {
			dir := filepath.Dir(path)
			gen := "..2026_01_01_00_00_00.1"
			os.Mkdir(filepath.Join(dir, gen), 0o755)
			os.Symlink(writeSecret(t), filepath.Join(dir, gen, "teams.yaml"))
			os.Symlink(gen, filepath.Join(dir, "..data"))
			os.Symlink(filepath.Join("..data", "teams.yaml"), path)
		}, "teams.yaml is a symlink (to " + os.TempDir()},
		{"a fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is a named pipe (fifo), not a regular file"},
		{"a directory", func(t *testing.T, path string) {
			os.Mkdir(path, 0o700)
		}, "is a directory, not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "teams.yaml")
			tc.make(t, path)
			_, err := tryOpen(t, path)
			if err == nil {
				t.Fatal("the store opened")
			}
			if !strings.Contains(err.Error(), tc.kind) || !strings.Contains(err.Error(), dir) {
				t.Errorf("err = %v, want it to name the path and say it %s", err, tc.kind)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
			noSecretIn(t, path+".history")
			if _, err := mapstore.ReadMappingFile(path); err == nil {
				t.Error("ReadMappingFile (secds-broker --check) read it")
			}
		})
	}
}

// A file replaced by a link while the broker runs: the watcher refuses it,
// the last version read stays current, nothing reaches the history, and a
// write neither follows the link nor succeeds on stale ground.
func TestFileRefusesALinkSwappedInWhileRunning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "teams.yaml")
	s := openFile(t, path, []byte("one\n"))
	before, _ := s.Get(context.Background())
	keys := writeSecret(t)
	tmp := filepath.Join(dir, "link")
	os.Symlink(keys, tmp)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the watcher's debounce
	if _, err := s.Get(context.Background()); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("Get = %v, want the link refused", err)
	}
	if _, err := s.History(context.Background()); err == nil {
		t.Error("History answered from a link")
	}
	if _, err := s.Put(context.Background(), []byte("two\n"), before.Version, mapstore.Change{}); err == nil {
		t.Error("Put wrote while the file is a link")
	}
	if b, _ := os.ReadFile(keys); string(b) != secret {
		t.Errorf("the link's target was written: %q", b)
	}
	noSecretIn(t, dir)
}

func TestFileWritesKeepTheModeOr0600(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o640, 0o644} {
		path := filepath.Join(t.TempDir(), "teams.yaml")
		os.WriteFile(path, []byte("one\n"), mode)
		os.Chmod(path, mode)
		s := openFile(t, path, nil)
		cur, _ := s.Get(context.Background())
		if _, err := s.Put(context.Background(), []byte("two\n"), cur.Version, mapstore.Change{}); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(path); !fi.Mode().IsRegular() || fi.Mode().Perm() != mode {
			t.Errorf("after a write the file is %v, want a regular file of mode %v", fi.Mode(), mode)
		}
	}
}

func TestFileConfigMapIsReadNotWritten(t *testing.T) {
	cm := newConfigMapDir(t, []byte("one\n"))
	s := openFile(t, filepath.Join(cm.dir, "teams.yaml"), nil)
	cur, err := s.Get(context.Background())
	if err != nil || string(cur.Content) != "one\n" {
		t.Fatalf("Get through the ConfigMap layout = %q, %v", cur.Content, err)
	}
	_, err = s.Put(context.Background(), []byte("two\n"), cur.Version, mapstore.Change{})
	if !errors.Is(err, mapstore.ErrReadOnly) || !strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("Put = %v, want ErrReadOnly naming the ConfigMap", err)
	}
	if fi, _ := os.Lstat(filepath.Join(cm.dir, "teams.yaml")); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the ConfigMap's link was replaced")
	}
}
