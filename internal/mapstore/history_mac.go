package mapstore

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// historyKeyLabel is the HKDF info that makes the history's MAC keys from
// the broker's session keys: the same secret, a key of its own, so a value
// made for one use (a cookie) can never pass as the other.
const historyKeyLabel = "secds mapping history hmac-sha256 v1"

// macPrefix starts every MAC in a history record: the scheme, for a change
// of it to be told apart from a forgery.
const macPrefix = "v1:"

// Why a history record is not trusted, in Entry.Unverified.
const (
	// UnverifiedUnsigned is a record with no MAC: written before the
	// history was authenticated, or by hand.
	UnverifiedUnsigned = "the record has no MAC (written before history records were authenticated, or by hand)"
	// UnverifiedBadMAC is a record whose MAC does not verify.
	UnverifiedBadMAC = "the record's MAC does not verify: it was changed on disk, or signed with a session key this broker no longer has"
	// UnverifiedDamaged is a record that cannot be read.
	UnverifiedDamaged = "the record cannot be read"
)

// ErrUnverified is a history version whose record does not authenticate: it
// is listed, marked, but its content is not served and it cannot be rolled
// back to.
var ErrUnverified = errors.New("the history record of this version is not authenticated")

// UnverifiedError says which version is not trusted, and why.
type UnverifiedError struct {
	Number int64
	Why    string
}

func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("mapping version %d cannot be used: %v (%s); roll back to an authenticated version, or put the content you want in place as a new edit", e.Number, ErrUnverified, e.Why)
}

// Is makes errors.Is(err, ErrUnverified) hold.
func (e *UnverifiedError) Is(target error) bool { return target == ErrUnverified }

// historyMAC signs history records with the first key and verifies them with
// any, so session keys rotate as they do for cookies.
type historyMAC struct {
	keys [][]byte
}

func newHistoryMAC(secrets [][]byte) (*historyMAC, error) {
	if len(secrets) == 0 {
		return nil, errors.New("mapping history: no keys to authenticate its records (the broker's session keys)")
	}
	m := &historyMAC{}
	for i, s := range secrets {
		if len(s) < 16 {
			return nil, fmt.Errorf("mapping history: key %d is %d bytes, too short to derive a MAC key from", i+1, len(s))
		}
		k, err := hkdf.Key(sha256.New, s, nil, historyKeyLabel, sha256.Size)
		if err != nil {
			return nil, fmt.Errorf("mapping history: derive key %d: %w", i+1, err)
		}
		m.keys = append(m.keys, k)
	}
	return m, nil
}

// macInput is the signed form of an entry: every field that says what the
// version is and who made it, each length-prefixed so no two entries share
// one.
func macInput(e Entry) []byte {
	fields := []string{
		historyKeyLabel,
		strconv.FormatInt(e.Number, 10),
		e.Digest,
		e.Author,
		e.Reason,
		e.Time.UTC().Format(time.RFC3339Nano),
		strconv.Itoa(e.Size),
	}
	var b []byte
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

func sum(key []byte, e Entry) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(macInput(e))
	return h.Sum(nil)
}

// sign returns the MAC of e under the first key.
func (m *historyMAC) sign(e Entry) string {
	return macPrefix + base64.RawURLEncoding.EncodeToString(sum(m.keys[0], e))
}

// verify reports why e's MAC is not to be trusted ("" when it is), and
// whether it verified under a key other than the first (so it should be
// signed again before that key is dropped).
func (m *historyMAC) verify(e Entry, mac string) (why string, resign bool) {
	if mac == "" {
		return UnverifiedUnsigned, false
	}
	raw, ok := strings.CutPrefix(mac, macPrefix)
	got, err := base64.RawURLEncoding.DecodeString(raw)
	if !ok || err != nil {
		return UnverifiedBadMAC, false
	}
	for i, k := range m.keys {
		if hmac.Equal(got, sum(k, e)) {
			return "", i > 0
		}
	}
	return UnverifiedBadMAC, false
}

// HistoryMAC authenticates version records kept outside the broker (the
// file store's history, a shared table), with keys derived from the
// broker's session keys: the first signs, all verify, so keys rotate as
// they do for cookies.
type HistoryMAC struct{ m *historyMAC }

// NewHistoryMAC derives the record keys from the broker's session keys.
func NewHistoryMAC(sessionKeys [][]byte) (*HistoryMAC, error) {
	m, err := newHistoryMAC(sessionKeys)
	if err != nil {
		return nil, err
	}
	return &HistoryMAC{m: m}, nil
}

// Sign returns the MAC of e (every field but Unverified).
func (h *HistoryMAC) Sign(e Entry) string { return h.m.sign(e) }

// Verify reports why mac does not authenticate e (one of the Unverified
// reasons; "" when it does), and whether it verified under a key other
// than the first, so the record should be signed again.
func (h *HistoryMAC) Verify(e Entry, mac string) (why string, resign bool) { return h.m.verify(e, mac) }
