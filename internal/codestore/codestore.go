// Package codestore keeps the CLI's pending user codes (auth.PendingCodes)
// and spent login codes (auth.SpentCodes) in a directory that every replica
// of a file-store deployment shares (the mapping's state directory), so a
// code one replica shows is redeemed on any, once. Each code is a file; creating it exclusively and renaming it
// away are atomic on one filesystem, which is all the coordination it needs.
package codestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/secds/secds/auth"
)

// Dir keeps pending user codes as files in one directory.
type Dir struct {
	path string
	now  func() time.Time
	// swept is when sweep last read the directory (Unix nanoseconds): it
	// runs at most once a minute, not at every code.
	swept atomic.Int64
}

// record is a pending code's file: the sealed login code (encrypted with
// the session keys) and when it stops counting.
type record struct {
	Sealed string    `json:"sealed"`
	Until  time.Time `json:"until"`
}

// Open returns the store in dir, creating it (0700) if needed. now may be nil.
func Open(dir string, now func() time.Time) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sign-in code directory: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Dir{path: dir, now: now}, nil
}

func (d *Dir) file(code string) (string, error) {
	if code == "" || strings.ContainsAny(code, `/\.`) {
		return "", fmt.Errorf("%q is not a user code", code)
	}
	return filepath.Join(d.path, code), nil
}

// Put creates the code's file, unless a live one exists.
func (d *Dir) Put(_ context.Context, code, sealed string, until time.Time) (bool, error) {
	d.sweep()
	name, err := d.file(code)
	if err != nil {
		return false, err
	}
	data, err := json.Marshal(record{Sealed: sealed, Until: until.UTC()})
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("keep a sign-in code in %s: %w", d.path, withoutPath(err))
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		_ = os.Remove(name)
		return false, fmt.Errorf("keep a sign-in code in %s: %w", d.path, withoutPath(err))
	}
	return true, nil
}

// Take renames the code's file to CODE.used (one rename wins) and reads
// it; the .used file stays until the sweep, so a second try is told the
// code was used.
func (d *Dir) Take(_ context.Context, code string) (string, auth.CodeState, error) {
	name, err := d.file(code)
	if err != nil {
		return "", auth.CodeUnknown, nil
	}
	used := name + ".used"
	if err := os.Rename(name, used); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(used); err == nil {
			return "", auth.CodeUsed, nil
		}
		return "", auth.CodeUnknown, nil
	} else if err != nil {
		return "", auth.CodeUnknown, fmt.Errorf("check a sign-in code in %s: %w", d.path, withoutPath(err))
	}
	data, err := os.ReadFile(used)
	if err != nil {
		return "", auth.CodeUnknown, fmt.Errorf("check a sign-in code in %s: %w", d.path, withoutPath(err))
	}
	// Only the expiry stays behind: the sealed code is not kept once used.
	_ = os.WriteFile(used, nil, 0o600)
	var r record
	// A file still being written by Put reads as incomplete JSON: it was
	// not a code yet, and is not one now.
	if err := json.Unmarshal(data, &r); err != nil || d.now().After(r.Until) {
		return "", auth.CodeUnknown, nil
	}
	return r.Sealed, auth.CodeFresh, nil
}

// spentPrefix names the file that marks a sealed login code's ID spent.
const spentPrefix = "spent-"

// Spend records a sealed login code's ID as used (auth.SpentCodes): the
// exclusive creation of a file, so of the replicas sharing the directory
// one spends it.
func (d *Dir) Spend(_ context.Context, id string, _ time.Time) (bool, error) {
	d.sweep()
	name, err := d.file(spentPrefix + id)
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record a sign-in code as used in %s: %w", d.path, withoutPath(err))
	}
	return true, f.Close()
}

// sweep removes codes that expired unredeemed, and leftovers of takes and
// spends, once they are an hour old: every code is dead by then.
func (d *Dir) sweep() {
	now := d.now().UnixNano()
	if last := d.swept.Load(); now-last < int64(time.Minute) || !d.swept.CompareAndSwap(last, now) {
		return
	}
	des, err := os.ReadDir(d.path)
	if err != nil {
		return
	}
	for _, de := range des {
		info, err := de.Info()
		if err == nil && d.now().Sub(info.ModTime()) > time.Hour {
			_ = os.Remove(filepath.Join(d.path, de.Name()))
		}
	}
}

// withoutPath drops the file name from a file error: it is the code (or a
// code's ID), and errors reach the log.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}
