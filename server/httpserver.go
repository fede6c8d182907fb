package server

import (
	"net/http"
	"time"
)

// HTTPServer wraps h in an http.Server with time-outs and a header size
// limit, so slow or oversized clients cannot hold the broker's connections.
// The write time-out leaves room for an open that waits on AWS.
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
