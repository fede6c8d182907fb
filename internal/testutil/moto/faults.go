package moto

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Fault is what a FaultProxy answers instead of forwarding a call.
type Fault int

// The faults.
const (
	// Pass forwards the call.
	Pass Fault = iota
	// Throttle answers as DynamoDB does when a table or partition is over
	// its capacity (ProvisionedThroughputExceededException).
	Throttle
	// Fail answers 500 InternalServerError without forwarding: the call
	// did not happen.
	Fail
	// Drop forwards the call and then closes the connection without an
	// answer: the call happened, the caller does not know.
	Drop
	// DropOnce is Drop for the next call, then Pass.
	DropOnce
)

// FaultProxy stands between a client and moto_server, counting calls by
// operation and answering with a fault where a test says so.
type FaultProxy struct {
	URL string

	mu     sync.Mutex
	faults map[string]Fault // operation ("GetItem"), or "*" for every one
	calls  map[string]int
}

// NewFaultProxy starts a proxy to s for t.
func (s *Server) NewFaultProxy(t testing.TB) *FaultProxy {
	t.Helper()
	target, _ := url.Parse(s.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &FaultProxy{faults: map[string]Fault{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		p.mu.Lock()
		p.calls[op]++
		f, ok := p.faults[op]
		if !ok {
			f = p.faults["*"]
		}
		if f == DropOnce {
			delete(p.faults, op)
			f = Drop
		}
		p.mu.Unlock()
		switch f {
		case Throttle:
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`))
		case Fail:
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`))
		case Drop:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			panic(http.ErrAbortHandler)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	srv.Config.ErrorLog = nil
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Set makes op (a DynamoDB operation such as "GetItem", or "*" for all)
// answer with f from now on; Pass clears it.
func (p *FaultProxy) Set(op string, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f == Pass {
		delete(p.faults, op)
		return
	}
	p.faults[op] = f
}

// Calls returns how many calls of each operation reached the proxy.
func (p *FaultProxy) Calls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.calls))
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

// DynamoDB is a real SDK client whose endpoint is the proxy.
func (p *FaultProxy) DynamoDB(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	cfg := aws.Config{Region: Region, Credentials: staticCreds, BaseEndpoint: aws.String(p.URL)}
	return dynamodb.NewFromConfig(cfg, optFns...)
}
