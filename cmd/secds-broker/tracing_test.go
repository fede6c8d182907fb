package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secds/secds/internal/testutil/otlpsink"
)

// TestTracesFlushedAtShutdown: the spans of the last requests reach the
// collector when the broker stops (SIGTERM: its context ends), though the
// batch's time has not come; the start-up line says where traces go.
func TestTracesFlushedAtShutdown(t *testing.T) {
	recv, collector := otlpsink.Start(t)
	t.Run("serve", func(t *testing.T) {
		addrs, log := startBroker(t, "tracing: {otlp_endpoint: \""+collector.URL+"\", service_name: secds-main-test}\n")
		if status, _ := get(t, "http://"+addrs.Addr+"/"); status != http.StatusOK {
			t.Fatalf("GET / = %d", status)
		}
		if n := recv.Count(); n != 0 {
			t.Fatalf("%d spans exported before shutdown: the test cannot see the flush", n)
		}
		if !strings.Contains(log.String(), `"traces_to":"`+collector.URL+`/v1/traces"`) {
			t.Errorf("the start-up line does not say where traces go:\n%s", log)
		}
	}) // the broker stops here
	spans := recv.Spans()
	if len(spans) != 1 || spans[0].Name != "GET /" || spans[0].Resource["service.name"] != "secds-main-test" {
		t.Errorf("exported %+v, want the span of GET /", spans)
	}
}
