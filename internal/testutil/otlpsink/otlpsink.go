// Package otlpsink is an OTLP/HTTP trace receiver for tests and the bench
// harness: it takes what an OpenTelemetry exporter posts to /v1/traces,
// decodes the protobuf ExportTraceServiceRequest, and keeps the spans, the
// raw bodies and the request headers, so a test can read what a collector
// would have been sent.
package otlpsink

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is a received span, flattened: IDs in hex, attribute values as
// strings.
type Span struct {
	TraceID, SpanID, ParentSpanID string
	Name                          string
	Kind                          string // "server", "client", "internal"...
	Scope                         string
	Attrs                         map[string]string
	Resource                      map[string]string
	StatusError                   bool
	StatusMessage                 string
	Links                         []Link
	Events                        []string // name and attributes, one line each
	Start, End                    time.Time
}

// Link is a span's link to another context.
type Link struct{ TraceID, SpanID string }

// Receiver collects what exporters send it.
type Receiver struct {
	mu      sync.Mutex
	spans   []Span
	bodies  [][]byte
	headers []http.Header
	// Hold, when set, is waited on before each answer: a collector that
	// hangs.
	Hold chan struct{}
	// Undecoded keeps nothing but counts: exports and their bytes, for a
	// benchmark, where decoding would be the collector's cost, not the
	// exporter's.
	Undecoded bool
	exports   int
	bytes     int64
}

// Start serves a Receiver on loopback for the test's duration; the URL to
// export to is srv.URL (the exporter adds /v1/traces).
func Start(t testing.TB) (*Receiver, *httptest.Server) {
	t.Helper()
	r := &Receiver{}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

// ServeHTTP takes one export.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.Hold != nil {
		select {
		case <-r.Hold:
		case <-req.Context().Done():
			return
		}
	}
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.Error(w, "POST /v1/traces only", http.StatusNotFound)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.exports++
	r.bytes += int64(len(raw))
	r.mu.Unlock()
	if r.Undecoded {
		w.Header().Set("Content-Type", "application/x-protobuf")
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &msg); err != nil {
		http.Error(w, "not an ExportTraceServiceRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	spans := flatten(&msg)
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	r.bodies = append(r.bodies, raw)
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Spans are the spans received so far, in the order they came.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Count is how many spans came.
func (r *Receiver) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.spans)
}

// Exports are how many export requests came, and their bytes.
func (r *Receiver) Exports() (n int, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exports, r.bytes
}

// Bodies are the exports' protobuf bodies, decompressed.
func (r *Receiver) Bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// Headers are the exports' request headers.
func (r *Receiver) Headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...)
}

func flatten(msg *coltracepb.ExportTraceServiceRequest) []Span {
	var out []Span
	for _, rs := range msg.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				sp := Span{
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentSpanID: hex.EncodeToString(s.GetParentSpanId()),
					Name:         s.GetName(), Kind: kind(s.GetKind()), Scope: ss.GetScope().GetName(),
					Attrs: attrs(s.GetAttributes()), Resource: res,
					StatusError: s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR, StatusMessage: s.GetStatus().GetMessage(),
					Start: time.Unix(0, int64(s.GetStartTimeUnixNano())), End: time.Unix(0, int64(s.GetEndTimeUnixNano())),
				}
				for _, l := range s.GetLinks() {
					sp.Links = append(sp.Links, Link{TraceID: hex.EncodeToString(l.GetTraceId()), SpanID: hex.EncodeToString(l.GetSpanId())})
				}
				for _, e := range s.GetEvents() {
					sp.Events = append(sp.Events, fmt.Sprintf("%s %v", e.GetName(), attrs(e.GetAttributes())))
				}
				out = append(out, sp)
			}
		}
	}
	return out
}

func kind(k tracepb.Span_SpanKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "SPAN_KIND_"))
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[kv.GetKey()] = value(kv.GetValue())
	}
	return out
}

func value(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.GetValues() {
			parts = append(parts, value(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *commonpb.AnyValue_KvlistValue:
		m := attrs(x.KvlistValue.GetValues())
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+m[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return ""
}

// Text is every string a span carries (name, attribute keys and values,
// resource, status, events, scope), one a line: what a test searches for
// a secret.
func (s Span) Text() string {
	var b strings.Builder
	b.WriteString(s.Name + "\n" + s.Scope + "\n" + s.StatusMessage + "\n")
	for _, m := range []map[string]string{s.Attrs, s.Resource} {
		for k, v := range m {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	for _, e := range s.Events {
		b.WriteString(e + "\n")
	}
	return b.String()
}
