//go:build !release

package main

import (
	"context"
	"log/slog"

	"github.com/secds/secds/server"
)

// devLogHandler keeps the dev stack's terminal readable: the access log (a
// line per request) and the AWS emulator's line per call go to a file of
// their own, everything else (start-up, reloads, warnings) to the
// terminal. Warnings and errors reach the terminal whatever they are.
type devLogHandler struct {
	term, file slog.Handler
	emulator   bool // the logger is the AWS emulator's (component=awsemu)
}

func (h devLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.term.Enabled(ctx, l) || h.file.Enabled(ctx, l)
}

func (h devLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.emulator && r.Message != server.AccessLogMessage {
		return h.term.Handle(ctx, r)
	}
	err := h.file.Handle(ctx, r.Clone())
	if r.Level >= slog.LevelWarn {
		err = h.term.Handle(ctx, r)
	}
	return err
}

func (h devLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	emulator := h.emulator
	for _, a := range as {
		if a.Key == "component" && a.Value.String() == "awsemu" {
			emulator = true
		}
	}
	return devLogHandler{term: h.term.WithAttrs(as), file: h.file.WithAttrs(as), emulator: emulator}
}

func (h devLogHandler) WithGroup(name string) slog.Handler {
	return devLogHandler{term: h.term.WithGroup(name), file: h.file.WithGroup(name), emulator: h.emulator}
}
