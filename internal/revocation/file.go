package revocation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// FileOptions configure a File.
type FileOptions struct {
	// MaxAge is how long a cutoff matters: once it is older than the longest
	// token lifetime (plus clock leeway), every token it refuses has expired
	// anyway, and it is dropped at the next write. That bounds the file.
	MaxAge time.Duration
	Now    func() time.Time
}

// File keeps revocations in one JSON file. Every replica stats it at each
// look-up and re-reads it when it changed (writes replace it by rename, so
// a new file is a new inode), so a revocation made on one replica holds on
// the others at their next request. Writers take a lock file beside it.
type File struct {
	path string
	opts FileOptions

	mu      sync.Mutex
	seen    fs.FileInfo // the file the cache was read from; nil: none
	cutoffs map[string]time.Time
}

// fileDoc is the file's content.
type fileDoc struct {
	Version int                  `json:"version"`
	Cutoffs map[string]time.Time `json:"cutoffs"`
}

// OpenFile returns the store kept at path; the file need not exist yet.
func OpenFile(path string, opts FileOptions) (*File, error) {
	if path == "" {
		return nil, errors.New("revocations: no file path")
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 13 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &File{path: path, opts: opts, cutoffs: map[string]time.Time{}}
	if _, err := f.Cutoff(context.Background(), ""); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is where the revocations are kept.
func (f *File) Path() string { return f.path }

// Cutoff returns the time before which tokens for key are revoked; zero
// when none are.
func (f *File) Cutoff(_ context.Context, key string) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refresh(); err != nil {
		return time.Time{}, err
	}
	return f.cutoffs[key], nil
}

// refresh re-reads the file if it is not the one last read.
func (f *File) refresh() error {
	fi, err := os.Lstat(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.seen, f.cutoffs = nil, map[string]time.Time{}
		return nil
	case err != nil:
		return fmt.Errorf("read token revocations: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("read token revocations: %s is not a regular file", f.path)
	case f.seen != nil && os.SameFile(fi, f.seen) && fi.ModTime().Equal(f.seen.ModTime()) && fi.Size() == f.seen.Size():
		return nil
	}
	cutoffs, err := f.read()
	if err != nil {
		return err
	}
	f.seen, f.cutoffs = fi, cutoffs
	return nil
}

func (f *File) read() (map[string]time.Time, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]time.Time{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token revocations: %w", err)
	}
	var doc fileDoc
	if err := json.Unmarshal(data, &doc); err != nil || doc.Version != 1 {
		// Refusing every token beats honouring none of the revocations.
		return nil, fmt.Errorf("read token revocations %s: not a version 1 revocations file (%v); fix or remove it", f.path, err)
	}
	if doc.Cutoffs == nil {
		doc.Cutoffs = map[string]time.Time{}
	}
	return doc.Cutoffs, nil
}

// Revoke refuses every token for key issued before before. A later cutoff
// already stored stays.
func (f *File) Revoke(ctx context.Context, key string, before time.Time) error {
	if key == "" {
		return errors.New("revoke tokens: no key")
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	lock := flock.New(f.path+".lock", flock.SetPermissions(0o600))
	locked, err := lock.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !locked {
		return fmt.Errorf("revoke tokens: lock %s: %w", lock.Path(), errors.Join(err, ctx.Err()))
	}
	defer func() { _ = lock.Unlock() }()

	f.mu.Lock()
	defer f.mu.Unlock()
	// Read under the lock, not from the cache: another replica may have
	// written a moment ago.
	cutoffs, err := f.read()
	if err != nil {
		return err
	}
	if before.After(cutoffs[key]) {
		cutoffs[key] = before.UTC()
	}
	old := f.opts.Now().Add(-f.opts.MaxAge)
	for k, t := range cutoffs {
		if t.Before(old) {
			delete(cutoffs, k)
		}
	}
	data, err := json.MarshalIndent(fileDoc{Version: 1, Cutoffs: cutoffs}, "", "  ")
	if err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	if err := writeAtomic(f.path, append(data, '\n')); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	f.seen = nil // the next look-up reads what was written
	return f.refresh()
}

// writeAtomic replaces path so that a reader sees the old file or the new
// one, never half of either.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
