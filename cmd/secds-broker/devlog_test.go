//go:build !release

package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/secds/secds/server"
)

func TestDevLogHandlerRoutes(t *testing.T) {
	var term, file bytes.Buffer
	log := slog.New(devLogHandler{term: slog.NewTextHandler(&term, nil), file: slog.NewTextHandler(&file, nil)})
	emu := log.With("component", "awsemu")

	log.Info(server.AccessLogMessage, "path", "/open")
	emu.Info("awsemu request", "op", "AssumeRole")
	log.Info("team mapping reloaded", "version", 2)
	emu.Warn("awsemu cannot", "why", "x")

	for _, c := range []struct {
		line           string
		inTerm, inFile bool
	}{
		{"msg=http path=/open", false, true},
		{`msg="awsemu request" component=awsemu op=AssumeRole`, false, true},
		{`msg="team mapping reloaded"`, true, false},
		{`msg="awsemu cannot" component=awsemu`, true, true},
	} {
		if got := strings.Contains(term.String(), c.line); got != c.inTerm {
			t.Errorf("%s on the terminal: %v, want %v", c.line, got, c.inTerm)
		}
		if got := strings.Contains(file.String(), c.line); got != c.inFile {
			t.Errorf("%s in the file: %v, want %v", c.line, got, c.inFile)
		}
	}
}
