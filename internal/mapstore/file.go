package mapstore

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ReasonOnDisk is the history's reason for a version nobody wrote through
// the store: an edit by hand, a git pull, a ConfigMap update.
const ReasonOnDisk = "changed on disk"

// ReasonFirstSeen is the reason of a file's first version in a new history.
const ReasonFirstSeen = "first seen"

// FileOptions tune a File store; zero values are the defaults.
type FileOptions struct {
	// HistoryDir holds the numbered versions; default: the file's path
	// plus ".history".
	HistoryDir string
	Now        func() time.Time
	Log        *slog.Logger
	// Debounce is how long the watcher waits for a burst of file system
	// events (an editor's save, a git checkout) to end; default 100ms.
	Debounce time.Duration
	// Poll re-reads the file this often besides fsnotify, for file systems
	// that do not report changes (NFS); default 10s, negative turns it off.
	Poll time.Duration
}

// File is a Store on one YAML file, the default backend. It writes the file
// atomically and keeps every version in a history directory beside it. A
// change made to the file by anything else is noticed (fsnotify on the
// directory, so a ConfigMap's symlink swap counts) and recorded as a new
// version. One process writes a File store; replicas that need shared edits
// need a shared backend.
type File struct {
	path string
	opts FileOptions

	mu   sync.Mutex
	hist *history
	cur  Revision // the file's content as last read
	w    watchers

	errMu   sync.Mutex
	lastErr string // the watcher's last reported error, to log each once
	stop    context.CancelFunc
	done    chan struct{}
}

// OpenFile opens the store on the mapping file at path, which must exist,
// and watches it until ctx is done or Close is called.
func OpenFile(ctx context.Context, path string, opts FileOptions) (*File, error) {
	if opts.HistoryDir == "" {
		opts.HistoryDir = path + ".history"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Debounce == 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.Poll == 0 {
		opts.Poll = 10 * time.Second
	}
	ext := filepath.Ext(path)
	if ext == "" || ext == ".json" {
		ext = ".yaml"
	}
	hist, err := openHistory(opts.HistoryDir, ext, opts.Log)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, opts: opts, hist: hist}
	if last, ok := hist.last(); ok {
		f.cur.Entry = last
	}
	if _, err := f.sync(); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	f.stop, f.done = cancel, make(chan struct{})
	if err := f.startWatch(wctx); err != nil {
		cancel()
		return nil, err
	}
	return f, nil
}

// Close stops watching the file.
func (f *File) Close() error {
	f.stop()
	<-f.done
	return nil
}

// Path is the mapping file's path.
func (f *File) Path() string { return f.path }

// sync reads the file and, when its content is not the current version's,
// records it as a new version changed on disk. It returns the current
// revision. Callers must not hold f.mu.
func (f *File) sync() (Revision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncLocked()
}

func (f *File) syncLocked() (Revision, error) {
	content, err := os.ReadFile(f.path)
	if err != nil {
		return Revision{}, fmt.Errorf("read mapping: %w", err)
	}
	digest := Digest(content)
	if digest == f.cur.Digest {
		if f.cur.Content == nil {
			f.cur.Content = content // the first read after a restart
		}
		return f.cur, nil
	}
	reason := ReasonOnDisk
	if f.cur.Number == 0 {
		reason = ReasonFirstSeen
	}
	rev := Revision{Entry: Entry{
		Version: Version{Number: f.cur.Number + 1, Digest: digest},
		Reason:  reason, Time: f.opts.Now().UTC(), Size: len(content),
	}, Content: content}
	f.commitLocked(rev)
	return rev, nil
}

// commitLocked makes rev current and tells the watchers.
func (f *File) commitLocked(rev Revision) {
	if err := f.hist.add(rev); err != nil {
		// The version is live either way; only its record on disk is
		// missing, and a restart records the content again.
		f.opts.Log.Error("mapping history not written", "version", rev.Number, "err", err)
	}
	f.cur = rev
	f.w.send(rev)
}

// Get implements Store.
func (f *File) Get(context.Context) (Revision, error) {
	rev, err := f.sync()
	return clone(rev), err
}

// Put implements Store.
func (f *File) Put(_ context.Context, content []byte, expected Version, c Change) (Revision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, err := f.syncLocked()
	if err != nil {
		return Revision{}, err
	}
	if cur.Version != expected {
		return Revision{}, &ConflictError{Expected: expected, Current: cur.Version}
	}
	content = bytes.Clone(content)
	if err := f.writeLive(content); err != nil {
		return Revision{}, err
	}
	rev := Revision{Entry: Entry{
		Version: Version{Number: cur.Number + 1, Digest: Digest(content)},
		Author:  c.Author, Reason: c.Reason, Time: f.opts.Now().UTC(), Size: len(content),
	}, Content: content}
	f.commitLocked(rev)
	return clone(rev), nil
}

// writeLive replaces the file's target (through a symlink, so a link to a
// checkout stays a link) and keeps its permissions.
func (f *File) writeLive(content []byte) error {
	target, err := filepath.EvalSymlinks(f.path)
	if err != nil {
		return fmt.Errorf("write mapping: %w", err)
	}
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(target); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := writeAtomic(target, content, perm); err != nil {
		if readOnly(err) {
			return fmt.Errorf("%w: %s is read-only (a ConfigMap or read-only volume: change it where it comes from): %v", ErrReadOnly, f.path, err)
		}
		return fmt.Errorf("write mapping: %w", err)
	}
	return nil
}

// History implements Store.
func (f *File) History(context.Context) ([]Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.syncLocked(); err != nil {
		return nil, err
	}
	out := make([]Entry, len(f.hist.entries))
	for i, e := range f.hist.entries {
		out[len(out)-1-i] = e
	}
	return out, nil
}

// At implements Store.
func (f *File) At(_ context.Context, number int64) (Revision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.hist.entry(number)
	if !ok {
		return Revision{}, fmt.Errorf("mapping version %d: %w", number, ErrNotFound)
	}
	content, err := f.hist.content(number)
	if err != nil {
		return Revision{}, fmt.Errorf("mapping version %d: %w", number, err)
	}
	if Digest(content) != e.Digest {
		return Revision{}, fmt.Errorf("mapping version %d: the history file does not match its digest", number)
	}
	return Revision{Entry: e, Content: content}, nil
}

// Watch implements Store.
func (f *File) Watch(ctx context.Context) (<-chan Revision, error) {
	return f.w.add(ctx), nil
}

// reportErr logs a watcher error once until it changes or clears, so a file
// missing for an hour is one log line, not one per poll.
func (f *File) reportErr(err error) {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == f.lastErr {
		return
	}
	f.lastErr = msg
	if err != nil {
		f.opts.Log.Error("mapping file cannot be read; the last version read stays current", "path", f.path, "err", err)
	} else {
		f.opts.Log.Info("mapping file readable again", "path", f.path)
	}
}

var _ Store = (*File)(nil)
