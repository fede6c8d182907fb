package config

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Tracing configures OpenTelemetry traces, sent over OTLP/HTTP to a
// collector. Off unless OTLPEndpoint is set: then the broker creates no
// exporter, starts no goroutine for it, and every span is the no-op one.
//
// With it on, every request (but the probes and static files) is a server
// span named by its route template, and every AWS call it makes (STS,
// SageMaker, the shared store's DynamoDB) a client span under it.
// Background work (a notebook list relisted ahead of its TTL, the shared
// store's polls) makes no span. No span holds a token, a cookie, a code, a
// presigned URL, an AWS key, a user or a notebook: docs/observability.md.
type Tracing struct {
	// OTLPEndpoint is the collector's OTLP/HTTP URL, such as
	// "https://otel-collector:4318"; /v1/traces is added when it has no
	// path. Empty: tracing is off.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// SampleRatio is the share of requests traced, 0 to 1; unset:
	// DefaultSampleRatio. A request's spans are all kept or all dropped.
	SampleRatio *float64 `yaml:"sample_ratio"`
	// ServiceName is the resource's service.name; default
	// DefaultServiceName.
	ServiceName string `yaml:"service_name"`
	// Headers are sent with every export: for what is not a secret (a
	// tenant, X-Scope-OrgID). A collector's API key goes in HeadersFile or
	// the HeadersEnv variable instead, as every secret of the broker does.
	Headers map[string]string `yaml:"headers"`
	// HeadersFile holds secret headers, name=value, one a line or
	// comma-separated (the format of OTEL_EXPORTER_OTLP_HEADERS, values
	// percent-encoded); without a file they come from the environment
	// variable HeadersEnv (default DefaultTracingHeadersEnv), if it is set.
	HeadersFile string `yaml:"headers_file"`
	HeadersEnv  string `yaml:"headers_env"`
	// TrustTraceparent continues the trace an incoming W3C traceparent
	// header names, sampled or not as it says. Off (the default), a client
	// cannot choose the broker's trace ID or force sampling: every request
	// starts a trace of its own, sampled by SampleRatio, with a link to the
	// incoming context. Turn it on only behind a proxy that sets or
	// replaces the header itself.
	TrustTraceparent bool `yaml:"trust_traceparent"`
}

// On reports whether traces are exported.
func (t Tracing) On() bool { return t.OTLPEndpoint != "" }

// Ratio is the sample ratio Resolve settled on (DefaultSampleRatio unset).
func (t Tracing) Ratio() float64 {
	if t.SampleRatio == nil {
		return DefaultSampleRatio
	}
	return *t.SampleRatio
}

// TracesPath is OTLP/HTTP's path for traces, added to an endpoint without
// a path.
const TracesPath = "/v1/traces"

// TracesURL is the URL spans are exported to: the endpoint, with
// TracesPath when it has no path.
func (t Tracing) TracesURL() string {
	u, err := url.Parse(t.OTLPEndpoint)
	if err != nil {
		return t.OTLPEndpoint
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = TracesPath
	}
	return u.String()
}

// readTracingHeaders reads the secret export headers (tracing.headers_file,
// or the variable tracing.headers_env when it is set) and joins them with
// tracing.headers into TracingHeaders. Errors name the entry, never a value.
func (c *Config) readTracingHeaders(getenv func(string) string) []error {
	t := c.Tracing
	if !t.On() {
		return nil
	}
	c.TracingHeaders = map[string]string{}
	for k, v := range t.Headers {
		c.TracingHeaders[k] = v
	}
	c.tracingSecretHeaders = false
	if t.HeadersFile == "" && getenv(t.HeadersEnv) == "" {
		return nil
	}
	field := secretField("tracing.headers", t.HeadersFile)
	raw, err := readSecret("tracing.headers", t.HeadersFile, t.HeadersEnv, getenv)
	if err != nil {
		return []error{err}
	}
	secret, err := ParseHeaders(raw)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", field, err)}
	}
	var errs []error
	for _, name := range sortedKeys(secret) {
		for plain := range t.Headers {
			if strings.EqualFold(plain, name) {
				errs = append(errs, fmt.Errorf("%s: header %s is also in tracing.headers; give it once", field, name))
			}
		}
		if p := headerProblem(name, secret[name]); p != "" {
			errs = append(errs, fmt.Errorf("%s: header %s %s", field, name, p))
		}
		c.TracingHeaders[name] = secret[name]
	}
	c.tracingSecretHeaders = true
	return errs
}

// ParseHeaders reads export headers as OTEL_EXPORTER_OTLP_HEADERS writes
// them: name=value pairs, comma-separated or one a line, values
// percent-encoded; blank lines and lines starting with # are skipped.
// Errors count the entries and never quote one: a value may be a key.
func ParseHeaders(s string) (map[string]string, error) {
	out := map[string]string{}
	n := 0
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		n++
		name, value, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("entry %d is not name=value", n)
		}
		v, err := url.PathUnescape(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("entry %d (%s): the value is not percent-encoded (write %% as %%25)", n, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("entry %d: header %s is given twice", n, name)
		}
		out[name] = v
	}
	if n == 0 {
		return nil, fmt.Errorf("no name=value entries found")
	}
	return out, nil
}

// reservedHeaders are set by the exporter itself.
var reservedHeaders = []string{"content-type", "content-length", "content-encoding", "transfer-encoding", "host", "connection", "user-agent"}

// headerProblem says what is wrong with an export header; "" when nothing.
// It never quotes the value.
func headerProblem(name, value string) string {
	switch {
	case !validHeaderName(name):
		return "is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
	case slices.Contains(reservedHeaders, strings.ToLower(name)):
		return "is set by the exporter itself"
	case strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
		return "has a value with a line break or a control character"
	}
	return ""
}

// looksSecret says whether a header, by its name, likely carries a
// credential, which belongs in headers_file rather than the config file.
func looksSecret(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "key", "token", "secret", "password", "cookie", "credential", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// tracingChecks are tracing's rules; a setting without otlp_endpoint is a
// mistake (it would do nothing).
func (c *Config) tracingChecks() []check {
	t := c.Tracing
	if !t.On() {
		var out []check
		for _, s := range []struct {
			field string
			set   bool
		}{
			{"tracing.sample_ratio", t.SampleRatio != nil},
			{"tracing.service_name", t.ServiceName != ""},
			{"tracing.headers", len(t.Headers) > 0},
			{"tracing.headers_file", t.HeadersFile != ""},
			{"tracing.headers_env", t.HeadersEnv != ""},
			{"tracing.trust_traceparent", t.TrustTraceparent},
		} {
			out = append(out, check{s.field, s.set, "is set but tracing.otlp_endpoint is not, so nothing is traced: set the collector's URL, or leave the tracing block out"})
		}
		return out
	}
	u, err := url.Parse(t.OTLPEndpoint)
	badURL := err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != ""
	out := []check{
		{"tracing.otlp_endpoint", badURL, fmt.Sprintf("%q must be the collector's OTLP/HTTP URL, such as https://otel-collector:4318 (gRPC, port 4317, is not supported)", t.OTLPEndpoint)},
		{"tracing.otlp_endpoint", !badURL && (u.User != nil || u.RawQuery != "" || u.Fragment != ""),
			"must have no user, password, query or fragment: a collector's credentials go in tracing.headers_file"},
		{"tracing.otlp_endpoint", !badURL && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) && c.tracingSecretHeaders,
			fmt.Sprintf("%q is plain http to another host, and the headers of %s would cross the network in clear text: use https", t.OTLPEndpoint, secretField("tracing.headers", t.HeadersFile))},
	}
	r := t.Ratio()
	out = append(out,
		check{"tracing.sample_ratio", math.IsNaN(r) || r < 0 || r > 1, fmt.Sprintf("%v must be between 0 (no request) and 1 (every request) (unset: %v)", r, DefaultSampleRatio)},
		check{"tracing.service_name", t.ServiceName == "" || len(t.ServiceName) > 255 || strings.ContainsFunc(t.ServiceName, isSpaceOrControl),
			fmt.Sprintf("%q must be 1 to 255 characters with no spaces (unset: %s)", t.ServiceName, DefaultServiceName)},
		check{"tracing.headers_env", t.HeadersEnv == "" || strings.ContainsFunc(t.HeadersEnv, isSpaceOrControl) || strings.Contains(t.HeadersEnv, "="),
			fmt.Sprintf("%q is not an environment variable name", t.HeadersEnv)},
	)
	for _, name := range sortedKeys(t.Headers) {
		field := "tracing.headers." + name
		p := headerProblem(name, t.Headers[name])
		out = append(out,
			check{field, p != "", p},
			check{field, p == "" && looksSecret(name), "looks like a credential, and secrets never go in this file: put it in tracing.headers_file, or in the environment variable " + t.HeadersEnv + " (name=value)"})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
