// Package testutil holds small helpers shared by tests across packages.
package testutil

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that servers' goroutines and a test can use at
// once: tests hand it to loggers, audit writers and child processes, then
// read what arrived.
type Buffer struct {
	// Max, when positive, bounds the buffer: once it holds more than Max
	// bytes it keeps only the newest Max/2, after a "...\n" line, so a
	// chatty process cannot grow it without bound.
	Max int

	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	if s.Max > 0 && s.b.Len() > s.Max {
		tail := bytes.Clone(s.b.Bytes()[s.b.Len()-s.Max/2:])
		s.b.Reset()
		s.b.WriteString("...\n")
		s.b.Write(tail)
	}
	return len(p), nil
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
