package config_test

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/internal/config"
)

func ratio(r float64) *float64 { return &r }

// TestTracingIsOffUnlessConfigured: no endpoint, no tracing, and no
// default filled in.
func TestTracingIsOffUnlessConfigured(t *testing.T) {
	c := valid()
	env := maps.Clone(validEnv)
	env[config.DefaultTracingHeadersEnv] = "x-api-key=k" // set, but tracing is off: not read
	if err := resolve(c, env); err != nil {
		t.Fatal(err)
	}
	if c.Tracing.On() || c.TracingHeaders != nil || c.Tracing.SampleRatio != nil || c.Tracing.ServiceName != "" {
		t.Errorf("tracing off resolved to %+v, headers %d", c.Tracing, len(c.TracingHeaders))
	}
}

func TestTracingDefaults(t *testing.T) {
	c := valid()
	c.Tracing.OTLPEndpoint = "https://otel-collector.observability:4318"
	if err := resolve(c, validEnv); err != nil {
		t.Fatal(err)
	}
	tr := c.Tracing
	if tr.Ratio() != config.DefaultSampleRatio || tr.ServiceName != config.DefaultServiceName || tr.HeadersEnv != config.DefaultTracingHeadersEnv || tr.TrustTraceparent {
		t.Errorf("defaults: %+v", tr)
	}
	if got := tr.TracesURL(); got != "https://otel-collector.observability:4318/v1/traces" {
		t.Errorf("traces URL %q", got)
	}
	c.Tracing.OTLPEndpoint = "https://ingest.example/otlp/v1/traces"
	if got := c.Tracing.TracesURL(); got != "https://ingest.example/otlp/v1/traces" {
		t.Errorf("a path given is kept: %q", got)
	}
	c = valid()
	c.Tracing.OTLPEndpoint, c.Tracing.SampleRatio = "http://127.0.0.1:4318", ratio(0)
	if err := resolve(c, validEnv); err != nil || c.Tracing.Ratio() != 0 {
		t.Errorf("sample_ratio 0 is a ratio, not unset: %v, %v", err, c.Tracing.Ratio())
	}
}

// TestTracingHeaders: headers come from the file's plain ones and the
// secret file or variable; every mistake is named without the value.
func TestTracingHeaders(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "otlp-headers", "# collector\nx-api-key=s3cret%2Fkey\n\nauthorization = Bearer abc,x-other=1\n", 0o600)
	c := valid()
	c.Tracing = config.Tracing{OTLPEndpoint: "https://c.example:4318", HeadersFile: file, Headers: map[string]string{"X-Scope-OrgID": "t1"}}
	if err := resolve(c, validEnv); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x-api-key": "s3cret/key", "authorization": "Bearer abc", "x-other": "1", "X-Scope-OrgID": "t1"}
	if !maps.Equal(c.TracingHeaders, want) {
		t.Errorf("headers %v, want %v", c.TracingHeaders, want)
	}

	c = valid()
	c.Tracing = config.Tracing{OTLPEndpoint: "https://c.example:4318"}
	env := maps.Clone(validEnv)
	env[config.DefaultTracingHeadersEnv] = "x-honeycomb-team=abc123"
	if err := resolve(c, env); err != nil || c.TracingHeaders["x-honeycomb-team"] != "abc123" {
		t.Errorf("headers from %s: %v, %v", config.DefaultTracingHeadersEnv, c.TracingHeaders, err)
	}

	secret := "VERY-s3cret-VALUE"
	for _, tt := range []struct {
		name, file string
		env        map[string]string
		tracing    config.Tracing
		wants      string
	}{
		{"not name=value", "x-api-key " + secret, nil, config.Tracing{}, "tracing.headers_file: entry 1 is not name=value"},
		{"bad escape", "x-api-key=%zz" + secret, nil, config.Tracing{}, "tracing.headers_file: entry 1 (x-api-key): the value is not percent-encoded"},
		{"twice", "a=1\na=" + secret, nil, config.Tracing{}, "entry 2: header a is given twice"},
		{"empty", "# nothing\n", nil, config.Tracing{}, "tracing.headers_file: no name=value entries found"},
		{"bad name", "x api=" + secret, nil, config.Tracing{}, "tracing.headers_file: header x api is not a header name"},
		{"reserved", "Content-Type=" + secret, nil, config.Tracing{}, "header Content-Type is set by the exporter itself"},
		{"in both", "x-a=" + secret, nil, config.Tracing{Headers: map[string]string{"X-A": "1"}}, "header x-a is also in tracing.headers; give it once"},
		{"variable", "", map[string]string{"OTLP_H": "nope" + secret}, config.Tracing{HeadersEnv: "OTLP_H"}, "tracing.headers_env: entry 1 is not name=value"},
		{"file missing", "-", nil, config.Tracing{}, "tracing.headers_file: read "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			c.Tracing = tt.tracing
			c.Tracing.OTLPEndpoint = "https://c.example:4318"
			switch tt.file {
			case "":
			case "-":
				c.Tracing.HeadersFile = filepath.Join(dir, "no-such-file")
			default:
				c.Tracing.HeadersFile = write(t, t.TempDir(), "h", tt.file, 0o600)
			}
			env := maps.Clone(validEnv)
			maps.Copy(env, tt.env)
			err := resolve(c, env)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Fatalf("err = %v, want %q", err, tt.wants)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the header's value: %v", err)
			}
		})
	}
}

func TestTracingIsValidated(t *testing.T) {
	dir := t.TempDir()
	secretFile := write(t, dir, "h", "x-api-key=k\n", 0o600)
	for _, tt := range []struct {
		name    string
		tracing config.Tracing
		wants   string
	}{
		{"not a URL", config.Tracing{OTLPEndpoint: "otel-collector:4318"}, `tracing.otlp_endpoint: "otel-collector:4318" must be the collector's OTLP/HTTP URL`},
		{"grpc scheme", config.Tracing{OTLPEndpoint: "grpc://c:4317"}, "must be the collector's OTLP/HTTP URL"},
		{"no host", config.Tracing{OTLPEndpoint: "https:///v1/traces"}, "must be the collector's OTLP/HTTP URL"},
		{"credentials in the URL", config.Tracing{OTLPEndpoint: "https://u:p@c.example"}, "tracing.otlp_endpoint: must have no user, password, query or fragment"},
		{"a query", config.Tracing{OTLPEndpoint: "https://c.example/v1/traces?key=k"}, "must have no user, password, query or fragment"},
		{"secret headers over plain http", config.Tracing{OTLPEndpoint: "http://c.example:4318", HeadersFile: secretFile},
			`tracing.otlp_endpoint: "http://c.example:4318" is plain http to another host, and the headers of tracing.headers_file would cross the network in clear text`},
		{"ratio above 1", config.Tracing{OTLPEndpoint: "https://c.example", SampleRatio: ratio(10)}, "tracing.sample_ratio: 10 must be between 0 (no request) and 1 (every request)"},
		{"ratio below 0", config.Tracing{OTLPEndpoint: "https://c.example", SampleRatio: ratio(-0.1)}, "tracing.sample_ratio: -0.1 must be between 0"},
		{"ratio NaN", config.Tracing{OTLPEndpoint: "https://c.example", SampleRatio: ratio(math.NaN())}, "tracing.sample_ratio: NaN"},
		{"service name with a space", config.Tracing{OTLPEndpoint: "https://c.example", ServiceName: "secds broker"}, `tracing.service_name: "secds broker" must be 1 to 255 characters with no spaces`},
		{"a key in the file", config.Tracing{OTLPEndpoint: "https://c.example", Headers: map[string]string{"x-api-key": "k"}},
			"tracing.headers.x-api-key: looks like a credential, and secrets never go in this file: put it in tracing.headers_file, or in the environment variable SECDS_OTLP_HEADERS"},
		{"authorization in the file", config.Tracing{OTLPEndpoint: "https://c.example", Headers: map[string]string{"Authorization": "Basic x"}}, "tracing.headers.Authorization: looks like a credential"},
		{"a line break", config.Tracing{OTLPEndpoint: "https://c.example", Headers: map[string]string{"x-tenant": "a\r\nHost: evil"}}, "tracing.headers.x-tenant: has a value with a line break"},
		{"settings without an endpoint", config.Tracing{SampleRatio: ratio(0.5)}, "tracing.sample_ratio: is set but tracing.otlp_endpoint is not, so nothing is traced"},
		{"headers without an endpoint", config.Tracing{HeadersFile: secretFile}, "tracing.headers_file: is set but tracing.otlp_endpoint is not"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			c.Tracing = tt.tracing
			err := resolve(c, validEnv)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Fatalf("err = %v, want %q", err, tt.wants)
			}
		})
	}

	// Fine: plain http to a loopback collector (a sidecar) with a key, or
	// to another host without one.
	for _, tr := range []config.Tracing{
		{OTLPEndpoint: "http://127.0.0.1:4318", HeadersFile: secretFile},
		{OTLPEndpoint: "http://otel-collector.observability:4318", Headers: map[string]string{"X-Scope-OrgID": "t1"}},
	} {
		c := valid()
		c.Tracing = tr
		if err := resolve(c, validEnv); err != nil {
			t.Errorf("%+v: %v", tr, err)
		}
	}
}

// TestTracingFromTheFile: the block as an operator writes it, the headers
// file relative to the config's directory.
func TestTracingFromTheFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(config.DefaultClientSecretEnv, "s")
	t.Setenv(config.DefaultSessionKeysEnv, key)
	write(t, dir, "otlp-headers", "x-api-key=k\n", 0o600)
	p := write(t, dir, "broker.yaml", `public_url: https://n.example
mapping_file: t.yaml
oidc: {issuer: https://idp.example, client_id: c}
tracing:
  otlp_endpoint: https://otel-collector:4318
  sample_ratio: 0.1
  service_name: secds-broker-eu
  headers: {X-Scope-OrgID: data-science}
  headers_file: otlp-headers
`, 0o644)
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tracing.Ratio() != 0.1 || c.Tracing.ServiceName != "secds-broker-eu" || c.TracingHeaders["x-api-key"] != "k" || c.TracingHeaders["X-Scope-OrgID"] != "data-science" {
		t.Errorf("loaded %+v, headers %d", c.Tracing, len(c.TracingHeaders))
	}
	p = write(t, dir, "bad.yaml", "public_url: https://n.example\nmapping_file: t.yaml\noidc: {issuer: https://idp.example, client_id: c}\ntracing: {endpoint: https://c:4318}\n", 0o644)
	if _, err := config.Load(p); err == nil || !strings.Contains(err.Error(), "field endpoint not found") {
		t.Errorf("a misspelt field loaded: %v", err)
	}
}

// TestTracingExamplesAreValid: the commented tracing block of the example
// configuration and the one in docs/observability.md, as an operator would
// paste them, load and validate.
func TestTracingExamplesAreValid(t *testing.T) {
	example, err := os.ReadFile("../../configs/broker.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The block: "# tracing:" and the indented comment lines after it.
	_, after, _ := strings.Cut(string(example), "\n# tracing:\n")
	block := []string{"tracing:"}
	for _, l := range strings.Split(after, "\n") {
		if !strings.HasPrefix(l, "#   ") {
			break
		}
		block = append(block, strings.TrimPrefix(l, "#"))
	}
	doc, err := os.ReadFile("../../docs/observability.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "```yaml\ntracing:\n")
	docBlock, _, _ := strings.Cut(rest, "```")
	for name, yml := range map[string]string{"the example": strings.Join(block, "\n"), "the docs": "tracing:\n" + docBlock} {
		if !strings.Contains(yml, "otlp_endpoint") {
			t.Fatalf("%s has no tracing block:\n%s", name, yml)
		}
		dir := t.TempDir()
		t.Setenv(config.DefaultClientSecretEnv, "s")
		t.Setenv(config.DefaultSessionKeysEnv, key)
		headers := write(t, dir, "h", "x-api-key=k\n", 0o600)
		yml = strings.ReplaceAll(yml, "/run/secrets/secds-otlp-headers", headers)
		p := write(t, dir, "broker.yaml", "public_url: https://n.example\nmapping_file: t.yaml\noidc: {issuer: https://idp.example, client_id: c}\n"+yml+"\n", 0o644)
		c, err := config.Load(p)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, yml)
			continue
		}
		if !c.Tracing.On() || c.TracingHeaders["x-api-key"] != "k" {
			t.Errorf("%s: loaded %+v", name, c.Tracing)
		}
	}
}
