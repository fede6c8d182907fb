package mapstore

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// startWatch watches the directory the file lives in. The directory, not
// the file: editors and git replace files by rename, and a Kubernetes
// ConfigMap update swaps the ..data symlink, so a watch on the file itself
// would go deaf after the first change. That one directory is enough: the
// file is read only when it is a regular file there or a ConfigMap's own
// layout inside it, never through a link to elsewhere. Each change is read
// by the same rules, so a file swapped for a link or a fifo is refused (and
// logged) and the last version read stays current.
func (f *File) startWatch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch mapping: %w", err)
	}
	d := filepath.Dir(f.path)
	if err := w.Add(d); err != nil {
		w.Close()
		return fmt.Errorf("watch mapping directory %s: %w", d, err)
	}
	go f.watchLoop(ctx, w)
	return nil
}

func (f *File) watchLoop(ctx context.Context, w *fsnotify.Watcher) {
	defer close(f.done)
	defer w.Close()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	var poll <-chan time.Time
	if f.opts.Poll > 0 {
		t := time.NewTicker(f.opts.Poll)
		defer t.Stop()
		poll = t.C
	}
	histDir := filepath.Clean(f.opts.HistoryDir)
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if filepath.Clean(ev.Name) == histDir {
				continue
			}
			debounce.Reset(f.opts.Debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			f.opts.Log.Warn("mapping watcher", "err", err)
			debounce.Reset(f.opts.Debounce)
		case <-debounce.C:
			_, err := f.sync()
			f.reportErr(err)
		case <-poll:
			_, err := f.sync()
			f.reportErr(err)
		}
	}
}
