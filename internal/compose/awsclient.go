package compose

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// awsHTTPClient is the HTTP client of the broker's STS and SageMaker
// clients: base (the SDK's, with its timeouts, TLS settings and any custom
// CA bundle) keeping an idle connection for each AWS call that may be in
// flight. The SDK keeps 10 per host; with more opens than that talking to
// AWS at once, every call beyond the tenth dials (and, against AWS, shakes
// hands) afresh. A client of the caller's own making is used as it is.
func awsHTTPClient(base aws.HTTPClient, maxConcurrent int) aws.HTTPClient {
	bc, ok := base.(*awshttp.BuildableClient)
	switch {
	case base == nil:
		bc = awshttp.NewBuildableClient()
	case !ok:
		return base
	}
	return bc.WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, maxConcurrent)
		// Two hosts: STS and SageMaker share the pool.
		tr.MaxIdleConns = max(tr.MaxIdleConns, 2*maxConcurrent)
	})
}
