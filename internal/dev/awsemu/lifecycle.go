package awsemu

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Notebook lifecycle: StartNotebookInstance and StopNotebookInstance move a
// notebook through AWS's intermediate states (Stopped → Pending → InService,
// InService → Stopping → Stopped). Each intermediate state lasts the
// transition delay on the emulator's clock, so a test moves the clock
// (Advance) instead of sleeping, and the dev stack shows a waiting page for
// a few seconds.

const (
	startAction = "sagemaker:StartNotebookInstance"
	stopAction  = "sagemaker:StopNotebookInstance"
)

// The lifecycle operations join the SageMaker operation table here, beside
// their handlers.
func init() {
	sageMakerOps["StartNotebookInstance"] = (*Emulator).startNotebookInstance
	sageMakerOps["StopNotebookInstance"] = (*Emulator).stopNotebookInstance
}

// lifecycle is the emulator's notebooks in transition.
type lifecycle struct {
	// delay is how long Pending and Stopping last.
	delay time.Duration
	// moving holds the notebooks in an intermediate state, by lower-cased
	// name: the state they reach, and when.
	moving map[string]transition
	// starts counts the accepted StartNotebookInstance calls, by lower-cased
	// name, for tests that a start happened once.
	starts map[string]int
}

type transition struct {
	to string
	at time.Time
}

// DefaultTransitionDelay is how long a started notebook stays Pending (and
// a stopped one Stopping) unless WithTransitionDelay says otherwise; AWS
// takes a few minutes.
const DefaultTransitionDelay = time.Minute

// WithTransitionDelay sets how long a started notebook stays Pending and a
// stopped one Stopping, on the emulator's clock (DefaultTransitionDelay
// without it); with zero the next call after the start or stop sees the
// notebook InService or Stopped.
func WithTransitionDelay(d time.Duration) Option {
	return func(e *Emulator) { e.life.delay = d }
}

// settleLocked moves every notebook whose transition is due to its next
// state; e.mu must be held. Every SageMaker call settles first, so each sees
// the states as of the emulator's clock.
func (e *Emulator) settleLocked() {
	if len(e.life.moving) == 0 {
		return
	}
	now := e.nowLocked()
	for key, tr := range e.life.moving {
		if now.Before(tr.at) {
			continue
		}
		if nb := e.notebooks[key]; nb != nil {
			nb.Status = tr.to
			nb.lastModified = tr.at.UTC().Truncate(time.Second)
		}
		delete(e.life.moving, key)
	}
}

func (e *Emulator) settle() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked()
}

// moveLocked puts nb in state now and in state then after the delay.
func (e *Emulator) moveLocked(nb *notebook, now, then string) {
	if e.life.moving == nil {
		e.life.moving = map[string]transition{}
	}
	at := e.nowLocked()
	nb.Status = now
	nb.lastModified = at.UTC().Truncate(time.Second)
	e.life.moving[strings.ToLower(nb.Name)] = transition{to: then, at: at.Add(e.life.delay)}
}

// stillLocked ends any transition of the named notebook, for a status set
// directly; e.mu must be held.
func (e *Emulator) stillLocked(name string) {
	delete(e.life.moving, strings.ToLower(name))
}

// Starts returns how many StartNotebookInstance calls for the notebook SageMaker
// accepted (refused ones not counted).
func (e *Emulator) Starts(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.life.starts[strings.ToLower(name)]
}

// StopNotebook stops a running notebook as StopNotebookInstance does
// (InService → Stopping → Stopped), for tests and the dev stack.
func (e *Emulator) StopNotebook(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked()
	nb := e.lookupNotebookLocked(name)
	if nb == nil {
		return fmt.Errorf("stop notebook %s: no such notebook", name)
	}
	if aerr := e.stopLocked(nb); aerr != nil {
		return fmt.Errorf("stop notebook %s: %s", name, aerr.message)
	}
	return nil
}

// SetNotebookFailed puts a notebook in Failed with the reason
// DescribeNotebookInstance reports.
func (e *Emulator) SetNotebookFailed(name, reason string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	nb := e.lookupNotebookLocked(name)
	if nb == nil {
		return fmt.Errorf("fail notebook %s: no such notebook", name)
	}
	e.stillLocked(name)
	nb.Status, nb.FailureReason = "Failed", reason
	nb.lastModified = e.nowLocked().UTC().Truncate(time.Second)
	return nil
}

func (e *Emulator) startNotebookInstance(who *caller, body []byte, r *http.Request) (any, *apiError) {
	name, aerr := lifecycleInput(body)
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	nb, aerr := e.lifecycleTargetLocked(who, r, startAction, name)
	if aerr != nil {
		return nil, aerr
	}
	// SageMaker starts a Stopped or Failed notebook and refuses the rest,
	// which is what makes a second start (by another replica) harmless.
	if nb.Status != "Stopped" && nb.Status != "Failed" {
		return nil, validationException(fmt.Sprintf("Status (%s) not in ([Stopped, Failed]). Unable to transition to (Pending) for Notebook Instance (%s).", nb.Status, nb.arn))
	}
	nb.FailureReason = ""
	e.moveLocked(nb, "Pending", "InService")
	if e.life.starts == nil {
		e.life.starts = map[string]int{}
	}
	e.life.starts[strings.ToLower(nb.Name)]++
	return struct{}{}, nil
}

func (e *Emulator) stopNotebookInstance(who *caller, body []byte, r *http.Request) (any, *apiError) {
	name, aerr := lifecycleInput(body)
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	nb, aerr := e.lifecycleTargetLocked(who, r, stopAction, name)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := e.stopLocked(nb); aerr != nil {
		return nil, aerr
	}
	return struct{}{}, nil
}

func (e *Emulator) stopLocked(nb *notebook) *apiError {
	if nb.Status != "InService" {
		return validationException(fmt.Sprintf("Status (%s) not in ([InService]). Unable to transition to (Stopping) for Notebook Instance (%s).", nb.Status, nb.arn))
	}
	e.moveLocked(nb, "Stopping", "Stopped")
	return nil
}

// lifecycleInput reads and validates a start or stop request's notebook name.
func lifecycleInput(body []byte) (string, *apiError) {
	var in struct{ NotebookInstanceName *string }
	if aerr := decodeInput(body, &in); aerr != nil {
		return "", aerr
	}
	var v violations
	checkNotebookName(&v, in.NotebookInstanceName)
	if len(v) > 0 {
		return "", validationException(v.message())
	}
	return *in.NotebookInstanceName, nil
}

// lifecycleTargetLocked authorizes action on the named notebook by the
// caller's IAM policies, as every other call; e.mu must be held.
func (e *Emulator) lifecycleTargetLocked(who *caller, r *http.Request, action, name string) (*notebook, *apiError) {
	e.settleLocked()
	nb := e.lookupNotebookLocked(name)
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), e.notebookCheck(action, name, nb)); aerr != nil {
		return nil, aerr
	}
	if nb == nil {
		return nil, recordNotFound
	}
	return nb, nil
}
