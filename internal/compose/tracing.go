package compose

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/tracing"
)

// openTracing starts the trace exporter when the configuration has a
// tracing block, and returns a copy of awsCfg whose clients make a span of
// every call made for a traced request. Off, it returns awsCfg as it is
// and starts nothing: no exporter, no goroutine, no span anywhere.
// Broker.Close flushes what is buffered, within config.TracingFlushTimeout.
func (b *Broker) openTracing(cfg *config.Config, opts Options, awsCfg *aws.Config) (*aws.Config, error) {
	p, err := tracing.New(cfg.Tracing, cfg.TracingHeaders, tracing.Options{Log: opts.Log})
	if err != nil || p == nil {
		return awsCfg, err
	}
	b.Tracing = p
	b.closers = append(b.closers, p)
	c := awsCfg.Copy()
	c.APIOptions = append(c.APIOptions, tracing.AWSAPIOption())
	return &c, nil
}
