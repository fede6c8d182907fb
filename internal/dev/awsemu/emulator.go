package awsemu

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Emulator holds the in-memory AWS state and serves it over HTTP. It is safe
// for concurrent use.
type Emulator struct {
	region    string
	accountID string
	log       *slog.Logger
	// base is the injected clock; the emulator's "now" is base()+offset.
	base    func() time.Time
	maxSkew time.Duration

	mu           sync.Mutex
	offset       time.Duration
	baseURL      string
	credentials  map[string]*credential // by access key ID
	roles        map[string]*role       // by ARN
	notebooks    map[string]*notebook   // by lower-cased name
	sessions     map[string]*session    // by access key ID
	presigned    map[string]*presignedURL
	pageSessions map[string]*pageSession
	calls        map[string]int
	faults       map[string]*Fault
	life         lifecycle
	studio       studioState

	// When sessions, and presigned with pageSessions, were last swept.
	sessionsPrunedAt, prunedAt time.Time
}

// Option configures an Emulator.
type Option func(*Emulator)

// WithClock injects the clock; time.Now by default. Advance adds to it.
// X-Amz-Date is checked against this clock, so with the real SDK (which signs
// with the wall clock) pass one close to time.Now or also WithMaxClockSkew(0).
func WithClock(now func() time.Time) Option {
	return func(e *Emulator) { e.base = now }
}

// WithLogger sets the logger for one line per API request (operation,
// caller, outcome; never a key, token or URL). Silent by default.
func WithLogger(l *slog.Logger) Option {
	return func(e *Emulator) { e.log = l }
}

// WithMaxClockSkew sets how far X-Amz-Date may be from the injected clock
// (15 minutes by default, as AWS); zero disables the check, for tests that
// inject a fixed clock far from the wall clock the SDK signs with.
func WithMaxClockSkew(d time.Duration) Option {
	return func(e *Emulator) { e.maxSkew = d }
}

// notebook is a notebook instance with the fields AWS derives from it.
type notebook struct {
	Notebook
	arn          string
	tags         []Tag // sorted by key
	created      time.Time
	lastModified time.Time
}

// New builds an emulator from a seed. The seed is defaulted and validated as
// ParseSeed does, so a seed built in Go gets the same checks as a YAML file.
func New(seed Seed, opts ...Option) (*Emulator, error) {
	seed = seed.withDefaults()
	if err := seed.validate(); err != nil {
		return nil, fmt.Errorf("awsemu seed: %w", err)
	}
	e := &Emulator{
		region:       seed.Region,
		accountID:    seed.AccountID,
		log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		base:         time.Now,
		maxSkew:      15 * time.Minute,
		credentials:  map[string]*credential{},
		roles:        map[string]*role{},
		notebooks:    map[string]*notebook{},
		sessions:     map[string]*session{},
		presigned:    map[string]*presignedURL{},
		pageSessions: map[string]*pageSession{},
		calls:        map[string]int{},
		life:         lifecycle{delay: DefaultTransitionDelay},
	}
	for _, o := range opts {
		o(e)
	}
	for _, c := range seed.Credentials {
		// validate has parsed every document, so these cannot fail.
		policies, err := parsePolicies(c.Policies)
		if err != nil {
			return nil, fmt.Errorf("awsemu seed: credential %s: %w", c.Principal, err)
		}
		e.credentials[c.AccessKeyID] = &credential{Credential: c, policies: policies}
	}
	for _, r := range seed.Roles {
		parsed, err := newRole(r)
		if err != nil {
			return nil, fmt.Errorf("awsemu seed: %w", err)
		}
		e.roles[r.ARN] = parsed
	}
	start := e.base()
	e.seedStudio(seed.Domains, start)
	for i, nb := range seed.Notebooks {
		// Distinct creation times, in seed order, keep CreationTime sorting
		// (ListNotebookInstances' default) deterministic.
		created := start.Add(-time.Duration(len(seed.Notebooks)-i) * time.Minute).UTC().Truncate(time.Second)
		e.notebooks[strings.ToLower(nb.Name)] = &notebook{
			Notebook:     nb,
			arn:          fmt.Sprintf("arn:aws:sagemaker:%s:%s:notebook-instance/%s", e.region, e.accountID, strings.ToLower(nb.Name)),
			tags:         sortedTags(nb.Tags),
			created:      created,
			lastModified: created,
		}
	}
	return e, nil
}

func sortedTags(m map[string]string) []Tag {
	tags := make([]Tag, 0, len(m))
	for k, v := range m {
		tags = append(tags, Tag{Key: k, Value: v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}

// Handler serves STS and SageMaker on POST /, the stand-in notebook pages
// on GET /notebooks/{name} and the stand-in Studio page on
// GET /studio/{domain}/auth.
func (e *Emulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", e.serveAPI)
	mux.HandleFunc("GET /notebooks/{name}", e.serveNotebookPage)
	mux.HandleFunc("GET /studio/{domain}/auth", e.serveStudioPage)
	return mux
}

// SetBaseURL sets the public base URL presigned URLs point at, e.g.
// "http://127.0.0.1:43121". Without it the request's Host is used.
func (e *Emulator) SetBaseURL(u string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.baseURL = strings.TrimRight(u, "/")
}

// Advance moves the emulator's clock forward, so tests can expire sessions
// and presigned URLs without sleeping. It does not move the clock X-Amz-Date
// is checked against: clients keep signing with their own clocks, and
// long-lived keys keep working after any Advance.
func (e *Emulator) Advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.offset += d
}

// SetNotebookStatus changes a notebook's status, for tests and fault
// injection.
func (e *Emulator) SetNotebookStatus(name, status string) error {
	if !isNotebookStatus(status) {
		return fmt.Errorf("set notebook %s status %q: must be one of %s", name, status, strings.Join(notebookStatuses, ", "))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	nb, ok := e.notebooks[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("set notebook %s status: no such notebook", name)
	}
	e.stillLocked(name)
	nb.Status = status
	nb.lastModified = e.nowLocked().UTC().Truncate(time.Second)
	return nil
}

// Calls returns how many requests an operation received, refused ones
// included, e.g. Calls("AssumeRole"); tests use it to assert caching.
func (e *Emulator) Calls(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[op]
}

func (e *Emulator) countCall(op string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[op]++
}

// nowLocked is the emulator clock; e.mu must be held.
func (e *Emulator) nowLocked() time.Time {
	return e.base().Add(e.offset)
}

func (e *Emulator) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.nowLocked()
}
