package awsemu

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
)

// origin is where a request comes from as IAM sees it: the public internet
// (aws:SourceIp, the TCP peer's address) or a VPC interface endpoint
// (aws:SourceVpce, and no aws:SourceIp: AWS documents that the key is absent
// on requests through an endpoint).
type origin struct {
	sourceIP string
	vpce     string
}

type vpceKey struct{}

var vpceIDPattern = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)

// originOf reads a request's origin: the endpoint its handler stands for, or
// its peer address.
func originOf(r *http.Request) origin {
	if id, ok := r.Context().Value(vpceKey{}).(string); ok {
		return origin{vpce: id}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return origin{sourceIP: host}
}

func (o origin) addTo(ctx map[string][]string) {
	if o.vpce != "" {
		ctx["aws:SourceVpce"] = []string{o.vpce}
	}
	if o.sourceIP != "" {
		ctx["aws:SourceIp"] = []string{o.sourceIP}
	}
}

func (o origin) String() string {
	if o.vpce != "" {
		return o.vpce
	}
	return o.sourceIP
}

// EndpointHandler serves the same emulator as Handler, as seen through a VPC
// interface endpoint with ID vpceID (vpce-...): its requests carry
// aws:SourceVpce=vpceID and no aws:SourceIp. Point a client's BaseEndpoint
// at a server of this handler to model a broker inside a VPC.
func (e *Emulator) EndpointHandler(vpceID string) (http.Handler, error) {
	if !vpceIDPattern.MatchString(vpceID) {
		return nil, fmt.Errorf("awsemu endpoint %q: not a VPC endpoint ID like vpce-0123456789abcdef0", vpceID)
	}
	h := e.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), vpceKey{}, vpceID)))
	}), nil
}
