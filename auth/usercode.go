package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// UserCodeTTL is how long a short user code (paste mode) can be redeemed:
// long enough to read it on one device and type it on another.
const UserCodeTTL = 10 * time.Minute

// userCodeAlphabet has no vowels (no words spelled by accident) and no
// letters easily mistaken for digits, as RFC 8628 §6.1 recommends; eight of
// them are 20^8 ≈ 2.6·10^10 codes, about 34 bits.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

const userCodeLen = 8

// PendingCodes keeps the sealed login codes that short user codes stand
// for, until one redemption takes them.
type PendingCodes interface {
	// Put stores sealed under userCode until until, unless the user code is
	// taken already (it reports false then).
	Put(ctx context.Context, userCode, sealed string, until time.Time) (bool, error)
	// Take returns what userCode stands for and marks it used, so a user
	// code works once: CodeFresh with the sealed code, else CodeUsed (taken
	// before, as far as the store still knows) or CodeUnknown (never made,
	// or expired). Of two concurrent takes at most one gets CodeFresh.
	Take(ctx context.Context, userCode string) (sealed string, state CodeState, err error)
}

// CodeState is what a PendingCodes store knows of a user code.
type CodeState int

// The states of a user code.
const (
	CodeUnknown CodeState = iota
	CodeFresh
	CodeUsed
)

// NewUserCode is NewCode for paste mode (no redirect URI): the sealed code,
// bound to the CLI's PKCE challenge, is kept by the broker (Pending), and
// the person types only a short user code such as "BCDF-GHJK" into the
// terminal. It stays valid for UserCodeTTL, and works once on every replica
// that shares the Pending store.
func (t *Tokens) NewUserCode(ctx context.Context, id abac.Identity, challenge string) (string, error) {
	sealed, err := t.newCode(id, challenge, "", UserCodeTTL)
	if err != nil {
		return "", err
	}
	for range 3 {
		code := randomUserCode()
		ok, err := t.pending.Put(ctx, code, sealed, t.now().Add(UserCodeTTL))
		if err != nil {
			return "", &api.Error{Kind: api.KindUnavailable, Code: api.CodeCodeUnavailable, Err: err,
				Message: "The broker cannot keep a sign-in code right now (its shared store did not answer). Try again in a minute."}
		}
		if ok {
			return code[:4] + "-" + code[4:], nil
		}
	}
	return "", errors.New("no free user code after three tries")
}

func randomUserCode() string {
	// 256 is not a multiple of 20: draw bytes below 240 (12 × 20) so each
	// letter is equally likely.
	out := make([]byte, 0, userCodeLen)
	buf := make([]byte, 16)
	for len(out) < userCodeLen {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if b < 240 && len(out) < userCodeLen {
				out = append(out, userCodeAlphabet[int(b)%len(userCodeAlphabet)])
			}
		}
	}
	return string(out)
}

// normalUserCode reads what a person typed as a user code: case, spaces and
// dashes do not matter. ok is false when it is not one.
func normalUserCode(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	if len(s) != userCodeLen {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune(userCodeAlphabet, r) {
			return "", false
		}
	}
	return s, true
}

// memoryPending is the Pending store of one process: a user code works only
// on the replica that made it. Replicas that share a mapping store on
// DynamoDB share user codes too (internal/dynamostore.PendingCodes).
type memoryPending struct {
	mu  sync.Mutex
	m   map[string]pendingCode
	now func() time.Time
}

type pendingCode struct {
	sealed string
	until  time.Time
	used   bool
}

func (p *memoryPending) Put(_ context.Context, code, sealed string, until time.Time) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for k, v := range p.m {
		if now.After(v.until) {
			delete(p.m, k)
		}
	}
	if _, exists := p.m[code]; exists {
		return false, nil
	}
	p.m[code] = pendingCode{sealed: sealed, until: until}
	return true, nil
}

func (p *memoryPending) Take(_ context.Context, code string) (string, CodeState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[code]
	switch {
	case !ok || p.now().After(v.until):
		return "", CodeUnknown, nil
	case v.used:
		return "", CodeUsed, nil
	}
	// Kept, marked, until it expires: a second try is told it was used.
	p.m[code] = pendingCode{until: v.until, used: true}
	return v.sealed, CodeFresh, nil
}

// takeUserCode turns a typed user code into the sealed code it stands for.
func (t *Tokens) takeUserCode(ctx context.Context, userCode string) (string, error) {
	sealed, state, err := t.pending.Take(ctx, userCode)
	switch {
	case err != nil:
		return "", &api.Error{Kind: api.KindUnavailable, Code: api.CodeCodeUnavailable, Err: err,
			Message: "The broker cannot check this sign-in code right now (its shared store did not answer). Try secds login again in a minute."}
	case state == CodeUsed:
		return "", &api.Error{Kind: api.KindBadRequest, Code: api.CodeCodeUsed, Message: "This sign-in code was already used; codes work once. Run secds login again."}
	case state != CodeFresh:
		return "", &api.Error{Kind: api.KindBadRequest, Code: api.CodeCodeInvalid,
			Message: fmt.Sprintf("The sign-in code is not valid: it was mistyped, or is older than %d minutes. Run secds login again.", int(UserCodeTTL.Minutes()))}
	}
	return sealed, nil
}
