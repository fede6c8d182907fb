package revocation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// store is what the broker needs of a revocation store.
type store interface {
	Cutoff(ctx context.Context, key string) (time.Time, error)
	Revoke(ctx context.Context, key string, before time.Time) error
}

// conformance runs the behaviour every store must have.
func conformance(t *testing.T, s store) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	if c, err := s.Cutoff(ctx, "sub:alice"); err != nil || !c.IsZero() {
		t.Fatalf("fresh Cutoff = %v, %v", c, err)
	}
	if err := s.Revoke(ctx, "sub:alice", t0); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Cutoff(ctx, "sub:alice"); err != nil || !c.Equal(t0) {
		t.Fatalf("Cutoff = %v, %v; want %v", c, err, t0)
	}
	if c, _ := s.Cutoff(ctx, "sub:bob"); !c.IsZero() {
		t.Errorf("bob's cutoff = %v after alice's revocation", c)
	}
	// An older revocation (a replica with a slow clock) never undoes a newer one.
	if err := s.Revoke(ctx, "sub:alice", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cutoff(ctx, "sub:alice"); !c.Equal(t0) {
		t.Errorf("an older revocation moved the cutoff to %v", c)
	}
	if err := s.Revoke(ctx, "sub:alice", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cutoff(ctx, "sub:alice"); !c.Equal(t0.Add(time.Minute)) {
		t.Errorf("a newer revocation left the cutoff at %v", c)
	}
	if err := s.Revoke(ctx, "", t0); err == nil {
		t.Error("a revocation without a key was accepted")
	}
}

func TestMemory(t *testing.T) { conformance(t, NewMemory()) }

func TestFile(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 30, 0, 0, time.UTC)
	f, err := OpenFile(filepath.Join(t.TempDir(), "state", "revocations.json"), FileOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, f)
	fi, err := os.Stat(f.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("revocations file: %v, %v; want mode 0600", fi, err)
	}
}

// TestFileSharedByReplicas: a revocation written by one replica holds on
// another that reads the same directory, at its very next look-up.
func TestFileSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "revocations.json")
	a, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := b.Cutoff(ctx, "user:alice"); !c.IsZero() {
		t.Fatal("a cutoff before any revocation")
	}
	t0 := time.Now().UTC().Truncate(time.Second)
	for i, key := range []string{"user:alice", "sub:bob", "user:alice"} {
		when := t0.Add(time.Duration(i) * time.Second)
		if err := a.Revoke(ctx, key, when); err != nil {
			t.Fatal(err)
		}
		if c, err := b.Cutoff(ctx, key); err != nil || !c.Equal(when) {
			t.Fatalf("write %d: the other replica sees %v, %v; want %v", i, c, err, when)
		}
	}
	// And the other way round: b's write keeps a's.
	if err := b.Revoke(ctx, "sub:carol", t0); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"user:alice", "sub:bob", "sub:carol"} {
		if c, _ := a.Cutoff(ctx, key); c.IsZero() {
			t.Errorf("%s lost after the other replica's write", key)
		}
	}
}

func TestFileDropsCutoffsNoTokenOutlives(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	f, err := OpenFile(filepath.Join(t.TempDir(), "revocations.json"), FileOptions{MaxAge: 13 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Revoke(ctx, "sub:old", now.Add(-14*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.Revoke(ctx, "sub:recent", now.Add(-12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.Cutoff(ctx, "sub:old"); !c.IsZero() {
		t.Error("a cutoff older than every token was kept")
	}
	if c, _ := f.Cutoff(ctx, "sub:recent"); c.IsZero() {
		t.Error("a cutoff a live token may predate was dropped")
	}
}

// TestFileRefusesWhatItCannotRead: a damaged or swapped file makes look-ups
// fail (the broker then refuses tokens) rather than forget revocations.
func TestFileRefusesWhatItCannotRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "revocations.json")
	f, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Revoke(ctx, "sub:alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", []byte("{damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Cutoff(ctx, "sub:alice"); err == nil || !strings.Contains(err.Error(), "fix or remove it") {
		t.Errorf("damaged file: Cutoff error = %v", err)
	}
	if err := f.Revoke(ctx, "sub:bob", time.Now()); err == nil {
		t.Error("a revocation overwrote a damaged file")
	}
	if _, err := OpenFile(path, FileOptions{}); err == nil {
		t.Error("OpenFile accepted a damaged file")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "elsewhere.json")
	if err := os.WriteFile(other, []byte(`{"version":1,"cutoffs":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, path); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Cutoff(ctx, "sub:alice"); err == nil {
		t.Error("a symlinked revocations file was followed")
	}
}
