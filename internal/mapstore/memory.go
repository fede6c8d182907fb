package mapstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Memory is a Store held in memory: for tests, and for brokers given a
// mapping with nowhere to write it. Its history ends with the process.
type Memory struct {
	mu   sync.Mutex
	now  func() time.Time
	revs []Revision // oldest first
	w    watchers
}

// NewMemory returns a store whose first version is seed, written by c. A nil
// seed starts it empty: Get then returns ErrNotFound and the first Put
// expects the zero Version. now may be nil.
func NewMemory(seed []byte, c Change, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now}
	if seed != nil {
		m.revs = append(m.revs, m.revision(seed, 1, c))
	}
	return m
}

func (m *Memory) revision(content []byte, n int64, c Change) Revision {
	return clone(Revision{Entry: Entry{
		Version: Version{Number: n, Digest: Digest(content)},
		Author:  c.Author, Reason: c.Reason, Time: m.now().UTC(), Size: len(content),
	}, Content: content})
}

func (m *Memory) current() (Revision, bool) {
	if len(m.revs) == 0 {
		return Revision{}, false
	}
	return m.revs[len(m.revs)-1], true
}

// Get implements Store.
func (m *Memory) Get(context.Context) (Revision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.current()
	if !ok {
		return Revision{}, fmt.Errorf("get mapping: %w", ErrNotFound)
	}
	return clone(cur), nil
}

// Put implements Store.
func (m *Memory) Put(_ context.Context, content []byte, expected Version, c Change) (Revision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, _ := m.current()
	if cur.Version != expected {
		return Revision{}, &ConflictError{Expected: expected, Current: cur.Version}
	}
	rev := m.revision(content, cur.Number+1, c)
	m.revs = append(m.revs, rev)
	m.w.send(rev)
	return clone(rev), nil
}

// History implements Store.
func (m *Memory) History(context.Context) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Entry, len(m.revs))
	for i, r := range m.revs {
		out[len(out)-1-i] = r.Entry
	}
	return out, nil
}

// At implements Store.
func (m *Memory) At(_ context.Context, number int64) (Revision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.revs {
		if r.Number == number {
			return clone(r), nil
		}
	}
	return Revision{}, fmt.Errorf("mapping version %d: %w", number, ErrNotFound)
}

// Watch implements Store.
func (m *Memory) Watch(ctx context.Context) (<-chan Revision, error) {
	return m.w.add(ctx), nil
}
