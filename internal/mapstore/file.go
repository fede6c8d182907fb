package mapstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"
)

// ReasonOnDisk is the history's reason for a version nobody wrote through
// the store: an edit by hand, a git pull, a ConfigMap update.
const ReasonOnDisk = "changed on disk"

// ReasonFirstSeen is the reason of a file's first version in a new history.
const ReasonFirstSeen = "first seen"

// ReasonReRecorded is the reason of the file's content recorded again at
// start because the newest history record does not authenticate: whatever
// that record says about the version (its author, its reason) is not
// believed.
const ReasonReRecorded = "recorded again: the newest history record is not authenticated"

// FileOptions tune a File store; zero values are the defaults.
type FileOptions struct {
	// HistoryDir holds the numbered versions (the configured
	// mapping_history_dir); required. It is made (or must already be) the broker's own,
	// mode 0700.
	HistoryDir string
	// Keys are the broker's session keys. The history's records are
	// authenticated with an HMAC keyed from them (HKDF, a label of its
	// own): the first signs, every one verifies, so they rotate as cookie
	// keys do. A record that does not verify after a restart is never
	// served nor rolled back to. Required.
	Keys [][]byte
	Now  func() time.Time
	Log  *slog.Logger
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
	// perm is the file's mode as last read, kept by writes; configMap says
	// it was read through a Kubernetes ConfigMap mount, never written.
	perm      fs.FileMode
	configMap bool
	reRecord  bool // the next version read is recorded as ReasonReRecorded

	errMu   sync.Mutex
	lastErr string // the watcher's last reported error, to log each once
	stop    context.CancelFunc
	done    chan struct{}
}

// OpenFile opens the store on the mapping file at path, which must exist,
// and watches it until ctx is done or Close is called.
func OpenFile(ctx context.Context, path string, opts FileOptions) (*File, error) {
	if opts.HistoryDir == "" {
		return nil, errors.New("mapstore: the history directory (mapping_history_dir) is required")
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
	mac, err := newHistoryMAC(opts.Keys)
	if err != nil {
		return nil, err
	}
	hist, err := openHistory(opts.HistoryDir, ext, mac, opts.Log)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, opts: opts, hist: hist, perm: 0o600}
	if last, ok := hist.last(); ok {
		f.cur.Entry = last
		if last.Unverified != "" {
			// Not believed: the file's content becomes a new, signed
			// version instead of taking this record's author and reason.
			f.cur.Entry = Entry{Version: Version{Number: last.Number}}
			f.reRecord = true
		}
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
	content, o, err := readRegular(f.path, "mapping file", true)
	if err != nil {
		var nr *NotRegularError
		if errors.As(err, &nr) {
			return Revision{}, err
		}
		return Revision{}, fmt.Errorf("read mapping: %w", err)
	}
	f.perm, f.configMap = o.info.Mode().Perm(), o.configMap
	digest := Digest(content)
	if digest == f.cur.Digest {
		if f.cur.Content == nil {
			f.cur.Content = content // the first read after a restart
		}
		return f.cur, nil
	}
	reason := ReasonOnDisk
	switch {
	case f.cur.Number == 0:
		reason = ReasonFirstSeen
	case f.reRecord:
		reason = ReasonReRecorded
	}
	f.reRecord = false
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

// writeLive replaces the file, keeping its mode (0600 when it has none).
// The rename replaces the path itself: it follows no link, so whatever
// was swapped in since the read, nothing outside the file is written.
func (f *File) writeLive(content []byte) error {
	if f.configMap {
		return fmt.Errorf("%w: %s is a Kubernetes ConfigMap mount: change the ConfigMap (or the git repository it comes from); the broker picks the change up", ErrReadOnly, f.path)
	}
	perm := f.perm
	if perm == 0 {
		perm = 0o600
	}
	if err := writeAtomic(f.path, content, perm); err != nil {
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
	if e.Unverified != "" {
		return Revision{}, &UnverifiedError{Number: number, Why: e.Unverified}
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
