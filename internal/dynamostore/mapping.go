package dynamostore

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/secds/secds/internal/mapstore"
)

// Items of the mapping: one head and one item per version, in one partition.
const (
	mappingPK     = "mapping"
	headSK        = "head"
	versionPrefix = "v#"
)

// Version item attributes.
const (
	attrNumber      = "number"
	attrDigest      = "digest"
	attrAuthor      = "author"
	attrReason      = "reason"
	attrTime        = "time"
	attrSize        = "size"
	attrMAC         = "mac"
	attrContent     = "content"      // the YAML, byte for byte
	attrContentGzip = "content_gzip" // the YAML gzipped, when it would not fit an item raw
)

// rawContentMax is the largest content stored uncompressed; DynamoDB items
// are at most 400 KB, and mappings (512 KiB at most through the admin API)
// compress well. maxItemContent bounds what is stored at all.
const (
	rawContentMax  = 300 << 10
	maxItemContent = 380 << 10
)

// Unverified reasons particular to the table.
const (
	unverifiedMissing  = "the head names this version but its item is missing"
	unverifiedMismatch = "the item's content does not match its digest, or the head names another digest"
	unverifiedUnsigned = "the item has no MAC: it was written outside the broker"
	unverifiedBadMAC   = "the item's MAC does not verify: it was written outside the broker, or signed with a session key this broker no longer has"
)

// MappingOptions configure a Mapping.
type MappingOptions struct {
	Table string // required
	// Keys are the broker's session keys; each version's MAC is made with
	// the first and checked with any (mapstore.HistoryMAC).
	Keys         [][]byte
	PollInterval time.Duration // default DefaultPollInterval
	MaxBackoff   time.Duration // the longest wait between failing polls; default 30s
	Log          *slog.Logger
	Now          func() time.Time
	// Metrics is where the store's read failures are counted; nil: not
	// exported.
	Metrics prometheus.Registerer
}

// Mapping is a mapstore.Store in a DynamoDB table.
type Mapping struct {
	c      API
	opts   MappingOptions
	mac    *mapstore.HistoryMAC
	errors *prometheus.CounterVec

	mu   sync.Mutex
	subs map[chan mapstore.Revision]mapstore.Version // each watch, and the last version it was given
	// lastRead is when the head was last read; lastErr the error of the
	// reads since, if they failed.
	lastRead time.Time
	lastErr  error
}

var _ mapstore.Store = (*Mapping)(nil)

// NewMapping returns the mapping store on opts.Table. It makes no call:
// CheckTable is the one that says whether the table is usable.
func NewMapping(c API, opts MappingOptions) (*Mapping, error) {
	if opts.Table == "" {
		return nil, errors.New("dynamodb mapping store: no table name")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	mac, err := mapstore.NewHistoryMAC(opts.Keys)
	if err != nil {
		return nil, fmt.Errorf("dynamodb mapping store: %w", err)
	}
	reg := opts.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	errs := promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
		Name: "secds_mapping_store_poll_errors_total",
		Help: "Failed reads of the shared mapping store's head item, by kind (throttled or other); the broker serves the last mapping it read meanwhile.",
	}, []string{"kind"})
	errs.WithLabelValues("throttled")
	errs.WithLabelValues("other")
	return &Mapping{c: c, opts: opts, mac: mac, errors: errs, subs: map[chan mapstore.Revision]mapstore.Version{}}, nil
}

// head is what the head item says: the current version.
func (m *Mapping) head(ctx context.Context) (mapstore.Version, bool, error) {
	out, err := m.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(m.opts.Table), Key: key(mappingPK, headSK), ConsistentRead: aws.Bool(true),
	})
	m.mu.Lock()
	if err != nil {
		m.lastErr = err
	} else {
		m.lastRead, m.lastErr = m.opts.Now(), nil
	}
	m.mu.Unlock()
	if err != nil {
		return mapstore.Version{}, false, fmt.Errorf("read the mapping's head item from DynamoDB table %s: %w", m.opts.Table, describe(err))
	}
	if len(out.Item) == 0 {
		return mapstore.Version{}, false, nil
	}
	num, ok := getN(out.Item, attrNumber)
	if !ok || num < 1 {
		return mapstore.Version{}, false, fmt.Errorf("the mapping's head item in DynamoDB table %s has no version number", m.opts.Table)
	}
	return mapstore.Version{Number: num, Digest: getS(out.Item, attrDigest)}, true, nil
}

// Get implements mapstore.Store. A current version whose item does not
// authenticate comes back with Unverified set and no content: it must not be
// served.
func (m *Mapping) Get(ctx context.Context) (mapstore.Revision, error) {
	h, ok, err := m.head(ctx)
	if err != nil {
		return mapstore.Revision{}, err
	}
	if !ok {
		return mapstore.Revision{}, fmt.Errorf("get mapping from DynamoDB table %s: %w", m.opts.Table, mapstore.ErrNotFound)
	}
	return m.load(ctx, h)
}

// load reads version h.Number and checks it against its MAC and h's digest.
func (m *Mapping) load(ctx context.Context, h mapstore.Version) (mapstore.Revision, error) {
	out, err := m.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(m.opts.Table), Key: key(mappingPK, versionSK(h.Number)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return mapstore.Revision{}, fmt.Errorf("read mapping version %d from DynamoDB table %s: %w", h.Number, m.opts.Table, describe(err))
	}
	if len(out.Item) == 0 {
		return mapstore.Revision{Entry: mapstore.Entry{Version: h, Unverified: unverifiedMissing}}, nil
	}
	e, mac := m.entry(out.Item)
	content, err := decodeContent(out.Item)
	switch {
	case e.Number != h.Number:
		e.Number, e.Unverified = h.Number, mapstore.UnverifiedDamaged
	case err != nil:
		e.Unverified = mapstore.UnverifiedDamaged
	case mapstore.Digest(content) != e.Digest || (h.Digest != "" && h.Digest != e.Digest) || len(content) != e.Size:
		e.Unverified = unverifiedMismatch
	default:
		e.Unverified = m.verify(ctx, e, mac)
	}
	if e.Unverified != "" {
		m.opts.Log.Error("MAPPING VERSION IN DYNAMODB FAILS AUTHENTICATION: it was written outside the broker, or signed with a session key no longer configured; it is not served",
			"table", m.opts.Table, "version", h.Number, "why", e.Unverified)
		return mapstore.Revision{Entry: e}, nil
	}
	return mapstore.Revision{Entry: e, Content: content}, nil
}

// verify checks an entry's MAC; one made with an older session key is
// signed again with the current one, so it stays trusted once the old key
// is dropped.
func (m *Mapping) verify(ctx context.Context, e mapstore.Entry, mac string) string {
	why, resign := m.mac.Verify(e, mac)
	switch why {
	case mapstore.UnverifiedUnsigned:
		why = unverifiedUnsigned
	case mapstore.UnverifiedBadMAC:
		why = unverifiedBadMAC
	}
	if resign {
		_, err := m.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(m.opts.Table), Key: key(mappingPK, versionSK(e.Number)),
			UpdateExpression:          aws.String("SET #mac = :new"),
			ConditionExpression:       aws.String("#mac = :old"),
			ExpressionAttributeNames:  map[string]string{"#mac": attrMAC},
			ExpressionAttributeValues: map[string]types.AttributeValue{":new": s(m.mac.Sign(e)), ":old": s(mac)},
		})
		if err != nil && !conditionFailed(err) {
			m.opts.Log.Warn("mapping version not re-signed with the current session key", "version", e.Number, "err", err)
		}
	}
	return why
}

// entry reads a version item's entry (not its content) and MAC.
func (m *Mapping) entry(item map[string]types.AttributeValue) (mapstore.Entry, string) {
	num, _ := getN(item, attrNumber)
	size, _ := getN(item, attrSize)
	t, err := time.Parse(time.RFC3339Nano, getS(item, attrTime))
	e := mapstore.Entry{
		Version: mapstore.Version{Number: num, Digest: getS(item, attrDigest)},
		Author:  getS(item, attrAuthor), Reason: getS(item, attrReason), Time: t, Size: int(size),
	}
	if err != nil || num < 1 {
		e.Unverified = mapstore.UnverifiedDamaged
	}
	return e, getS(item, attrMAC)
}

func decodeContent(item map[string]types.AttributeValue) ([]byte, error) {
	if b, ok := getB(item, attrContent); ok {
		return b, nil
	}
	gz, ok := getB(item, attrContentGzip)
	if !ok {
		return nil, errors.New("the version item has no content")
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, 4<<20))
}

func versionSK(num int64) string { return fmt.Sprintf("%s%019d", versionPrefix, num) }

// versionItem is the item of one revision, signed.
func (m *Mapping) versionItem(r mapstore.Revision) (map[string]types.AttributeValue, error) {
	item := key(mappingPK, versionSK(r.Number))
	item[attrNumber] = n(r.Number)
	item[attrDigest] = s(r.Digest)
	item[attrAuthor] = s(r.Author)
	item[attrReason] = s(r.Reason)
	item[attrTime] = s(r.Time.UTC().Format(time.RFC3339Nano))
	item[attrSize] = n(int64(r.Size))
	item[attrMAC] = s(m.mac.Sign(r.Entry))
	if len(r.Content) <= rawContentMax {
		item[attrContent] = &types.AttributeValueMemberB{Value: r.Content}
		return item, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(r.Content)
	_ = zw.Close()
	if buf.Len() > maxItemContent {
		return nil, fmt.Errorf("the mapping is %d KiB and %d KiB gzipped, more than a DynamoDB item holds (%d KiB): split long lists with globs, or drop unused teams", len(r.Content)>>10, buf.Len()>>10, maxItemContent>>10)
	}
	item[attrContentGzip] = &types.AttributeValueMemberB{Value: buf.Bytes()}
	return item, nil
}

// headItem names version v as current.
func headItem(v mapstore.Version) map[string]types.AttributeValue {
	item := key(mappingPK, headSK)
	item[attrNumber] = n(v.Number)
	item[attrDigest] = s(v.Digest)
	return item
}

// headCondition holds when the head still names expected (or, for the zero
// Version, when there is no head yet).
func headCondition(expected mapstore.Version) (string, map[string]string, map[string]types.AttributeValue) {
	if expected == (mapstore.Version{}) {
		return "attribute_not_exists(#pk)", map[string]string{"#pk": AttrPK}, nil
	}
	return "#num = :num AND #dig = :dig", map[string]string{"#num": attrNumber, "#dig": attrDigest},
		map[string]types.AttributeValue{":num": n(expected.Number), ":dig": s(expected.Digest)}
}

// Put implements mapstore.Store: one transaction adds the version item and
// moves the head, only if the head still names expected.
func (m *Mapping) Put(ctx context.Context, content []byte, expected mapstore.Version, c mapstore.Change) (mapstore.Revision, error) {
	rev := mapstore.Revision{Entry: mapstore.Entry{
		Version: mapstore.Version{Number: expected.Number + 1, Digest: mapstore.Digest(content)},
		Author:  c.Author, Reason: c.Reason, Time: m.opts.Now().UTC(), Size: len(content),
	}, Content: bytes.Clone(content)}
	if err := m.commit(ctx, expected, []mapstore.Revision{rev}); err != nil {
		return mapstore.Revision{}, err
	}
	m.notify(rev)
	out := rev
	out.Content = bytes.Clone(rev.Content)
	return out, nil
}

// commit writes revs (numbered from expected.Number+1 up) and moves the head
// to the last, in one transaction conditioned on the head naming expected.
// A version item is never overwritten: history is permanent, and a version
// above the head can only be there because someone moved the head back
// outside the broker.
func (m *Mapping) commit(ctx context.Context, expected mapstore.Version, revs []mapstore.Revision) error {
	cond, names, values := headCondition(expected)
	items := make([]types.TransactWriteItem, 0, len(revs)+1)
	for _, r := range revs {
		item, err := m.versionItem(r)
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(m.opts.Table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(#sk)"), ExpressionAttributeNames: map[string]string{"#sk": AttrSK},
		}})
	}
	last := revs[len(revs)-1].Version
	items = append(items, types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(m.opts.Table), Item: headItem(last),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}})
	// The token makes the SDK's own retries of this call idempotent: a retry
	// after a lost response is not taken for a conflict with ourselves.
	_, err := m.c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items, ClientRequestToken: aws.String(requestToken())})
	if err == nil {
		return nil
	}
	versionTaken, headMoved := cancelled(err, len(items)-1)
	if !versionTaken && !headMoved {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
			return fmt.Errorf("write mapping version %d to DynamoDB table %s (refused, nothing was changed): %w", last.Number, m.opts.Table, describe(err))
		}
		// A server error or no answer at all: DynamoDB may have
		// committed the transaction.
		return fmt.Errorf("write mapping version %d to DynamoDB table %s: whether it was written is not known; get the mapping and look before you write again: %w", last.Number, m.opts.Table, err)
	}
	cur, _, herr := m.head(ctx)
	if herr != nil {
		return errors.Join(&mapstore.ConflictError{Expected: expected}, herr)
	}
	switch {
	case cur == last && m.ours(ctx, revs[len(revs)-1]):
		// The SDK retried after our first attempt's answer was lost,
		// and DynamoDB (or an emulator) did not recognise the token: the
		// head names what we wrote.
		return nil
	case headMoved:
		return &mapstore.ConflictError{Expected: expected, Current: cur}
	}
	m.opts.Log.Error("MAPPING HEAD MOVED BACK OUTSIDE THE BROKER: versions above it exist; edits are refused until it names the newest version again",
		"table", m.opts.Table, "head", cur.Number)
	return fmt.Errorf("write mapping version %d: DynamoDB table %s already holds version %d, above the head (version %d): someone moved the head back outside the broker. Nothing was changed; have whoever can write the table point the head at the newest version (to go back, roll back through secds, which adds a version)",
		last.Number, m.opts.Table, expected.Number+1, cur.Number)
}

// cancelled reads why a transaction was cancelled: a version item that
// exists already (items before headIndex), and the head's condition.
func cancelled(err error, headIndex int) (versionTaken, headMoved bool) {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return false, false
	}
	for i, r := range tc.CancellationReasons {
		if aws.ToString(r.Code) != "ConditionalCheckFailed" {
			continue
		}
		if i == headIndex {
			headMoved = true
		} else {
			versionTaken = true
		}
	}
	return versionTaken, headMoved
}

// ours reports whether the stored version r.Number is r as written here:
// same digest, author, reason and time to the nanosecond.
func (m *Mapping) ours(ctx context.Context, r mapstore.Revision) bool {
	got, err := m.load(ctx, r.Version)
	return err == nil && got.Unverified == "" && got.Author == r.Author && got.Reason == r.Reason && got.Time.Equal(r.Time)
}

func requestToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// History implements mapstore.Store. Items above the head (left by a write
// that failed) are not part of it. Each item is read whole: DynamoDB
// charges a query for the items' full size whatever it returns, and the
// content is what shows a version changed after it was signed.
func (m *Mapping) History(ctx context.Context) ([]mapstore.Entry, error) {
	h, ok, err := m.head(ctx)
	if err != nil || !ok {
		return nil, err
	}
	var out []mapstore.Entry
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(m.opts.Table),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :v)"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#sk": AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(mappingPK), ":v": s(versionPrefix)},
		ScanIndexForward:          aws.Bool(false),
	}
	p := dynamodb.NewQueryPaginator(m.c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the mapping history from DynamoDB table %s: %w", m.opts.Table, describe(err))
		}
		for _, item := range page.Items {
			e, mac := m.entry(item)
			if e.Number > h.Number {
				continue
			}
			content, cerr := decodeContent(item)
			switch {
			case e.Unverified != "":
			case cerr != nil:
				e.Unverified = mapstore.UnverifiedDamaged
			case mapstore.Digest(content) != e.Digest || len(content) != e.Size || e.Number == h.Number && e.Digest != h.Digest:
				e.Unverified = unverifiedMismatch
			default:
				e.Unverified = m.verify(ctx, e, mac)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// At implements mapstore.Store.
func (m *Mapping) At(ctx context.Context, number int64) (mapstore.Revision, error) {
	h, ok, err := m.head(ctx)
	if err != nil {
		return mapstore.Revision{}, err
	}
	if !ok || number < 1 || number > h.Number {
		return mapstore.Revision{}, fmt.Errorf("mapping version %d: %w", number, mapstore.ErrNotFound)
	}
	v := mapstore.Version{Number: number}
	if number == h.Number {
		v.Digest = h.Digest
	}
	r, err := m.load(ctx, v)
	if err != nil {
		return mapstore.Revision{}, err
	}
	if r.Unverified == unverifiedMissing && number != h.Number {
		return mapstore.Revision{}, fmt.Errorf("mapping version %d: %w", number, mapstore.ErrNotFound)
	}
	if r.Unverified != "" {
		return mapstore.Revision{}, &mapstore.UnverifiedError{Number: number, Why: r.Unverified}
	}
	return r, nil
}

// Watch implements mapstore.Store: a consistent read of the head item every
// poll interval (backing off while reads fail), and the new version's item
// when the head moves. Puts through this store are delivered at once.
func (m *Mapping) Watch(ctx context.Context) (<-chan mapstore.Revision, error) {
	start, _, err := m.head(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan mapstore.Revision, 1)
	m.mu.Lock()
	m.subs[ch] = start
	m.mu.Unlock()
	go m.poll(ctx, ch, start)
	return ch, nil
}

func (m *Mapping) poll(ctx context.Context, ch chan mapstore.Revision, seen mapstore.Version) {
	defer func() {
		m.mu.Lock()
		delete(m.subs, ch)
		close(ch)
		m.mu.Unlock()
	}()
	failures := 0
	for {
		t := time.NewTimer(backoff(m.opts.PollInterval, failures, m.opts.MaxBackoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		m.mu.Lock()
		if given := m.subs[ch]; given.Number > seen.Number {
			seen = given // a write through this store, delivered already
		}
		m.mu.Unlock()
		r, moved, err := m.pollOnce(ctx, seen)
		if err == nil && moved && r.Number < seen.Number {
			m.opts.Log.Error("MAPPING HEAD MOVED BACK OUTSIDE THE BROKER: ignoring it and serving the newer version",
				"table", m.opts.Table, "head", r.Number, "serving", seen.Number)
			seen = r.Version
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			kind := "other"
			if Throttled(err) {
				kind = "throttled"
			}
			m.errors.WithLabelValues(kind).Inc()
			m.opts.Log.Warn("cannot read the team mapping's head from DynamoDB; serving the last mapping read",
				"table", m.opts.Table, "failures", failures, "throttled", Throttled(err), "retry_in", backoff(m.opts.PollInterval, failures, m.opts.MaxBackoff), "err", err)
			continue
		}
		if failures > 0 {
			m.opts.Log.Info("the team mapping's DynamoDB table answers again", "table", m.opts.Table, "after_failures", failures)
		}
		failures = 0
		if moved {
			seen = r.Version
			m.deliver(ch, r)
		}
	}
}

// pollOnce reads the head and, when it moved past seen, the new version.
func (m *Mapping) pollOnce(ctx context.Context, seen mapstore.Version) (mapstore.Revision, bool, error) {
	h, ok, err := m.head(ctx)
	if err != nil || !ok || h == seen {
		return mapstore.Revision{}, false, err
	}
	r, err := m.load(ctx, h)
	if err != nil {
		return mapstore.Revision{}, false, err
	}
	return r, true, nil
}

// deliver puts r in ch, replacing an unread older revision.
func (m *Mapping) deliver(ch chan mapstore.Revision, r mapstore.Revision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, open := m.subs[ch]; !open {
		return
	}
	select {
	case <-ch:
	default:
	}
	r.Content = bytes.Clone(r.Content)
	ch <- r
	m.subs[ch] = r.Version
}

func (m *Mapping) notify(r mapstore.Revision) {
	m.mu.Lock()
	subs := make([]chan mapstore.Revision, 0, len(m.subs))
	for ch := range m.subs {
		subs = append(subs, ch)
	}
	m.mu.Unlock()
	for _, ch := range subs {
		m.deliver(ch, r)
	}
}

// Seed stores content as version 1 when the table holds no mapping yet, and
// reports whether it did. Replicas starting at once race safely: one
// writes, the others find the head it made.
func (m *Mapping) Seed(ctx context.Context, content []byte, c mapstore.Change) (bool, error) {
	if _, ok, err := m.head(ctx); err != nil || ok {
		return false, err
	}
	_, err := m.Put(ctx, content, mapstore.Version{}, c)
	if errors.Is(err, mapstore.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// Ready reports a table the broker has not been able to read for several
// poll intervals. The error is degraded, not fatal: the broker keeps
// serving the last mapping it read, and taking every replica out of the load
// balancer because DynamoDB throttles would end every session for nothing.
func (m *Mapping) Ready(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit := max(5*m.opts.PollInterval, 10*time.Second)
	if m.lastErr == nil || m.opts.Now().Sub(m.lastRead) <= limit {
		return nil
	}
	return &UnreachableError{Table: m.opts.Table, Since: m.lastRead, Err: m.lastErr}
}

// UnreachableError says the table has not been read for a while.
type UnreachableError struct {
	Table string
	Since time.Time
	Err   error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the mapping store (DynamoDB table %s) has not been read since %s; serving the last mapping read: %v", e.Table, e.Since.UTC().Format(time.RFC3339), e.Err)
}

// Unwrap returns the last read's error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Degraded marks the problem as one the broker serves through.
func (e *UnreachableError) Degraded() bool { return true }

// CheckHead makes sure no version exists above the head: one does only when
// someone moved the head back outside the broker (edits only ever add
// versions; a rollback is a new one), and a broker starting then would serve
// the older mapping that running replicas refuse.
func (m *Mapping) CheckHead(ctx context.Context) error {
	h, ok, err := m.head(ctx)
	if err != nil || !ok {
		return err
	}
	out, err := m.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(m.opts.Table), Key: key(mappingPK, versionSK(h.Number+1)), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#num"), ExpressionAttributeNames: map[string]string{"#num": attrNumber},
	})
	if err != nil {
		return fmt.Errorf("read DynamoDB table %s: %w", m.opts.Table, describe(err))
	}
	if len(out.Item) > 0 {
		return fmt.Errorf("DynamoDB table %s holds mapping version %d above its head (version %d): someone moved the head back outside the broker. The broker does not start on it; point the head at the newest version again (to go back, roll back through secds, which adds a version)",
			m.opts.Table, h.Number+1, h.Number)
	}
	return nil
}

// Table is the table's name.
func (m *Mapping) Table() string { return m.opts.Table }

// String names the store in logs and problem reports.
func (m *Mapping) String() string { return "dynamodb:" + m.opts.Table }
