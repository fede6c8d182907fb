package awsemu

import (
	"context"
	"net/http"
	"time"
)

// Fault makes calls of one operation fail or stall on purpose, so tests can
// show what the broker does when AWS throttles, refuses or hangs.
type Fault struct {
	// Code is the AWS error code to answer with (ThrottlingException,
	// AccessDenied, ServiceUnavailable...); empty means answer normally
	// after Delay.
	Code    string
	Status  int    // HTTP status; 400 by default (as AWS throttling is)
	Message string // default "Injected fault"
	// Delay holds the answer back; longer than the client's time-out, it is
	// an AWS time-out.
	Delay time.Duration
	// Times is how many calls the fault affects; 0 means until cleared.
	Times int
}

// InjectFault arms a fault for op ("AssumeRole", "ListNotebookInstances",
// "CreatePresignedNotebookInstanceUrl", ...).
func (e *Emulator) InjectFault(op string, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.faults == nil {
		e.faults = map[string]*Fault{}
	}
	if f.Status == 0 {
		f.Status = http.StatusBadRequest
	}
	if f.Message == "" {
		f.Message = "Injected fault"
	}
	e.faults[op] = &f
}

// ClearFaults disarms every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
}

// fault applies an armed fault to one call of op: it waits out the delay and
// returns the error to answer with, if any.
func (e *Emulator) fault(ctx context.Context, op string) *apiError {
	e.mu.Lock()
	f, ok := e.faults[op]
	if !ok {
		e.mu.Unlock()
		return nil
	}
	ff := *f
	if f.Times > 0 {
		if f.Times--; f.Times == 0 {
			delete(e.faults, op)
		}
	}
	e.mu.Unlock()
	if ff.Delay > 0 {
		t := time.NewTimer(ff.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	if ff.Code == "" {
		return nil
	}
	return &apiError{status: ff.Status, code: ff.Code, message: ff.Message}
}
