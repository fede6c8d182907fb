package codestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/codestore"
)

// TestCodesInASharedDirectory: replicas sharing the directory (each its own
// Dir) keep a code once, take it once, and forget it when it expires; the
// files are the broker's alone.
func TestCodesInASharedDirectory(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cli-codes")
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	open := func() *codestore.Dir {
		d, err := codestore.Open(dir, now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := open()
	if ok, err := a.Put(ctx, "BCDFGHJK", "sealed-1", now().Add(10*time.Minute)); !ok || err != nil {
		t.Fatalf("Put = %v %v", ok, err)
	}
	if ok, err := open().Put(ctx, "BCDFGHJK", "sealed-2", now().Add(10*time.Minute)); ok || err != nil {
		t.Fatalf("a second Put = %v %v, want refused", ok, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "BCDFGHJK")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("code file: %v %v, want 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v %v, want 0700", fi.Mode(), err)
	}
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		d := open()
		wg.Go(func() {
			sealed, state, err := d.Take(ctx, "BCDFGHJK")
			if err != nil {
				t.Error(err)
			}
			if state == auth.CodeFresh {
				fresh.Add(1)
				if sealed != "sealed-1" {
					t.Errorf("took %q", sealed)
				}
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d replicas took the code, want 1", fresh.Load())
	}
	if _, state, _ := a.Take(ctx, "BCDFGHJK"); state != auth.CodeUsed {
		t.Errorf("taken again: %v, want used", state)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "BCDFGHJK.used")); len(b) != 0 {
		t.Errorf("the used code's file keeps %q; the sealed code must not stay", b)
	}
	if _, err := a.Put(ctx, "CDFGHJKL", "sealed-3", now().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(10*time.Minute + time.Second))
	if _, state, err := open().Take(ctx, "CDFGHJKL"); state != auth.CodeUnknown || err != nil {
		t.Errorf("expired: %v %v, want unknown", state, err)
	}
	for _, bad := range []string{"", "../x", "a/b", "x.used"} {
		if _, state, _ := a.Take(ctx, bad); state != auth.CodeUnknown {
			t.Errorf("Take(%q) = %v", bad, state)
		}
		if _, err := a.Put(ctx, bad, "s", now()); err == nil {
			t.Errorf("Put(%q) was accepted", bad)
		}
	}
}

// TestSpentOnceInASharedDirectory: of the replicas sharing the directory,
// one spends a login code's ID.
func TestSpentOnceInASharedDirectory(t *testing.T) {
	dir := t.TempDir()
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		d, err := codestore.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			ok, err := d.Spend(context.Background(), "Ab3_-xYz0123456789abcd", time.Now().Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d replicas spent the code, want 1", fresh.Load())
	}
}

// TestErrorsDoNotNameTheCode: a failing code file's error (it reaches the
// log) names the directory, not the file, whose name is the code.
func TestErrorsDoNotNameTheCode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cli-codes")
	d, err := codestore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil { // the directory is now a file
		t.Fatal(err)
	}
	_, err = d.Put(context.Background(), "BCDFGHJK", "sealed", time.Now().Add(time.Minute))
	if err == nil || strings.Contains(err.Error(), "BCDFGHJK") {
		t.Fatalf("Put = %v, want an error that does not name the code", err)
	}
	if _, err := d.Spend(context.Background(), "Ab3_-xYz0123456789abcd", time.Now()); err == nil || strings.Contains(err.Error(), "Ab3_-xYz0123456789abcd") {
		t.Fatalf("Spend = %v, want an error that does not name the code's ID", err)
	}
}
