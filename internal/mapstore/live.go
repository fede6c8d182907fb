package mapstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/audit"
)

// Live is the team mapping the broker serves, kept in step with a store: each
// new version is parsed and swapped in whole when it is valid. An invalid
// version never replaces a valid one; the broker keeps the last good mapping
// and says why on /readyz, in the log and in the metrics.
type Live struct {
	store Store // nil for a fixed mapping
	name  string
	log   *slog.Logger
	audit audit.Recorder
	now   func() time.Time
	m     *metrics

	mu    sync.Mutex // orders apply; readers use state alone
	state atomic.Pointer[State]
}

// State is a snapshot of the live mapping.
type State struct {
	Mapping *abac.Mapping // the mapping served
	Serving Entry         // the version it was parsed from
	Latest  Entry         // the newest stored version
	// Problems say why Latest is not served; empty when it is.
	Problems  abac.Problems
	CheckedAt time.Time
}

// Valid reports whether the newest stored version is the one served.
func (s State) Valid() bool { return len(s.Problems) == 0 }

// LiveOptions configure a Live mapping.
type LiveOptions struct {
	// Name is the file name problems are reported against (the
	// configured mapping_file); required.
	Name    string
	Log     *slog.Logger          // nil: slog.Default()
	Audit   audit.Recorder        // where mapping changes are recorded; nil: nowhere
	Metrics prometheus.Registerer // nil: the metrics are not exported
	Now     func() time.Time      // nil: time.Now
}

// NewLive loads the store's current version and follows the store until ctx
// is done. When the current version is invalid it serves the newest valid
// one in the history, so a broker restarted while the file is broken serves
// what the running ones do; with none, it fails with the problems.
func NewLive(ctx context.Context, s Store, opts LiveOptions) (*Live, error) {
	if opts.Name == "" {
		return nil, errors.New("mapstore: the mapping's name (the configured mapping_file) is required")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Live{store: s, name: opts.Name, log: opts.Log, audit: opts.Audit, now: opts.Now, m: newMetrics(opts.Metrics)}
	// Watch before Get, so no change between the two is missed.
	ch, err := s.Watch(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch mapping: %w", err)
	}
	cur, err := s.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("load mapping: %w", err)
	}
	m, perr := l.parseRevision(cur)
	st := &State{Mapping: m, Serving: cur.Entry, Latest: cur.Entry, CheckedAt: l.now()}
	if perr != nil {
		st.Problems = asProblems(perr)
		good, gm, err := l.lastGood(ctx, cur.Number)
		if err != nil {
			return nil, fmt.Errorf("mapping version %d is invalid and no earlier version is valid:\n%w", cur.Number, perr)
		}
		st.Mapping, st.Serving = gm, good.Entry
		l.logInvalid(cur.Entry, good.Entry, st.Problems)
	}
	l.recordUnverified(ctx)
	l.state.Store(st)
	l.gauge(st)
	go l.follow(ctx, ch)
	return l, nil
}

// NewFixed serves one mapping that cannot change: for tests and tools that
// build a broker from a parsed mapping.
func NewFixed(m *abac.Mapping) *Live {
	l := &Live{name: "mapping", log: slog.Default(), now: time.Now, m: newMetrics(nil)}
	l.state.Store(&State{Mapping: m, CheckedAt: time.Now()})
	return l
}

// lastGood finds the newest valid version below number.
func (l *Live) lastGood(ctx context.Context, below int64) (Revision, *abac.Mapping, error) {
	hist, err := l.store.History(ctx)
	if err != nil {
		return Revision{}, nil, err
	}
	for _, e := range hist {
		if e.Number >= below {
			continue
		}
		r, err := l.store.At(ctx, e.Number)
		if err != nil {
			continue
		}
		if m, err := l.Parse(r.Content); err == nil {
			return r, m, nil
		}
	}
	return Revision{}, nil, ErrNotFound
}

func (l *Live) follow(ctx context.Context, ch <-chan Revision) {
	for {
		select {
		case <-ctx.Done():
			return
		case r, ok := <-ch:
			if !ok {
				return
			}
			l.apply(r, nil)
		}
	}
}

// apply makes r the latest version and serves it if it is valid. m is r's
// mapping when the caller parsed it already. Versions older than the latest
// (a watch delivering what Update applied) are ignored.
func (l *Live) apply(r Revision, m *abac.Mapping) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.state.Load()
	if r.Number <= old.Latest.Number {
		return
	}
	next := *old
	next.Latest, next.CheckedAt = r.Entry, l.now()
	var err error
	if m == nil {
		m, err = l.parseRevision(r)
	}
	if r.Unverified != "" {
		l.write(audit.Event{Type: audit.TypeMappingChange, Decision: audit.Denied, Code: "mapping_history_unverified", Via: "store",
			Reason: fmt.Sprintf("version %d refused: %s", r.Number, r.Unverified), FromVersion: old.Serving.Number, ToVersion: r.Number, ToDigest: r.Digest})
	}
	if err != nil {
		next.Problems = asProblems(err)
		l.m.reloads.WithLabelValues(resultInvalid).Inc()
		l.logInvalid(r.Entry, old.Serving, next.Problems)
	} else {
		next.Mapping, next.Serving, next.Problems = m, r.Entry, nil
		l.m.reloads.WithLabelValues(resultOK).Inc()
		l.log.Info("team mapping reloaded", "version", r.Number, "digest", r.Digest, "author", r.Author, "reason", r.Reason)
	}
	// The audit event goes first, so no one can see the new mapping served
	// before the change is on the record.
	if r.Reason == ReasonOnDisk {
		l.recordDiskChange(old.Latest, r.Entry, next.Problems)
	}
	l.state.Store(&next)
	l.gauge(&next)
}

func (l *Live) gauge(st *State) {
	v := 0.0
	if st.Valid() {
		v = 1
	}
	l.m.valid.Set(v)
	l.m.version.Set(float64(st.Serving.Number))
}

// logInvalid logs each problem on its own line, file:line:col first, so an
// operator can jump to it.
func (l *Live) logInvalid(bad, serving Entry, ps abac.Problems) {
	l.log.Error("team mapping version is invalid; serving the last good one", "version", bad.Number, "serving", serving.Number, "problems", len(ps))
	for _, p := range ps {
		l.log.Error("team mapping problem: "+p.String(), "version", bad.Number)
	}
}

// parseRevision validates a stored revision; one whose record does not
// authenticate is refused unread.
func (l *Live) parseRevision(r Revision) (*abac.Mapping, error) {
	if r.Unverified != "" {
		return nil, abac.Problems{{File: l.name, Message: (&UnverifiedError{Number: r.Number, Why: r.Unverified}).Error()}}
	}
	return l.Parse(r.Content)
}

// Parse validates content as this mapping's file.
func (l *Live) Parse(content []byte) (*abac.Mapping, error) {
	return abac.Parse(l.name, content)
}

// Name is the file name problems are reported against.
func (l *Live) Name() string { return l.name }

// Mapping returns the mapping to serve now. It never returns nil.
func (l *Live) Mapping() *abac.Mapping { return l.state.Load().Mapping }

// State returns a snapshot of the live mapping.
func (l *Live) State() State { return *l.state.Load() }

// Store is the store behind the mapping, or nil for a fixed one.
func (l *Live) Store() Store { return l.store }

// Ready reports an invalid newest version. The error is Degraded: the broker
// still serves the last good mapping, so it should stay in its load
// balancer while someone fixes the file.
func (l *Live) Ready(context.Context) error {
	st := l.state.Load()
	if st.Valid() {
		return nil
	}
	return &StaleError{Serving: st.Serving, Latest: st.Latest, Problems: st.Problems}
}

// StaleError says the broker serves an older mapping than the newest stored
// one because the newest is invalid.
type StaleError struct {
	Serving, Latest Entry
	Problems        abac.Problems
}

func (e *StaleError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("serving mapping version %d; version %d is invalid: %s", e.Serving.Number, e.Latest.Number, strings.Join(lines, "; "))
}

// Degraded marks the problem as one the broker serves through.
func (e *StaleError) Degraded() bool { return true }

func asProblems(err error) abac.Problems {
	var ps abac.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return abac.Problems{{Message: err.Error()}}
}
