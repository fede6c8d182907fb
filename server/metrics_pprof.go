package server

import (
	"net/http"
	"net/http/pprof"
)

// PprofHandler serves the Go profiler (net/http/pprof) under /debug/pprof/.
// It belongs on a listener of its own bound to loopback (config
// pprof.listen, off by default), never on the public one: a profile shows
// the process's memory and command line, and a CPU profile costs CPU.
func PprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
