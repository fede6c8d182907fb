package mapstore

import (
	"context"
	"slices"
	"sync"
)

// watchers fans revisions out to Watch channels. Each channel holds one
// revision; a newer one replaces an unread older one, so a slow reader never
// blocks a writer and always ends up with the latest.
type watchers struct {
	mu   sync.Mutex
	subs map[chan Revision]struct{}
}

func (w *watchers) add(ctx context.Context) <-chan Revision {
	ch := make(chan Revision, 1)
	w.mu.Lock()
	if w.subs == nil {
		w.subs = map[chan Revision]struct{}{}
	}
	w.subs[ch] = struct{}{}
	w.mu.Unlock()
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		delete(w.subs, ch)
		close(ch)
		w.mu.Unlock()
	}()
	return ch
}

func (w *watchers) send(r Revision) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.subs {
		select {
		case <-ch:
		default:
		}
		// Cannot block: the buffer was just emptied and only send fills it,
		// under w.mu.
		ch <- clone(r)
	}
}

// clone copies a revision's content so no caller can change what the store
// or another caller holds.
func clone(r Revision) Revision {
	r.Content = slices.Clone(r.Content)
	return r
}
