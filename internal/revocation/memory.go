package revocation

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Memory keeps revocations in memory: for one replica, and for tests.
type Memory struct {
	mu      sync.Mutex
	cutoffs map[string]time.Time
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{cutoffs: map[string]time.Time{}} }

// Cutoff returns the time before which tokens for key are revoked.
func (m *Memory) Cutoff(_ context.Context, key string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cutoffs[key], nil
}

// Revoke refuses every token for key issued before before.
func (m *Memory) Revoke(_ context.Context, key string, before time.Time) error {
	if key == "" {
		return errors.New("revoke tokens: no key")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if before.After(m.cutoffs[key]) {
		m.cutoffs[key] = before.UTC()
	}
	return nil
}
