package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// KeySize is the length of a cookie key: AES-256.
const KeySize = 32

var (
	// ErrCookieInvalid means a cookie was tampered with, cut, or sealed with
	// a key the broker no longer has.
	ErrCookieInvalid = errors.New("cookie is not valid")
	// ErrCookieExpired means a cookie was genuine but is past its lifetime.
	ErrCookieExpired = errors.New("cookie has expired")
)

// Codec seals values into cookie-safe strings with AES-256-GCM. The first key
// seals; every key opens, so keys rotate by putting a new one first and
// dropping the old one after the longest cookie lifetime.
type Codec struct {
	aeads []cipher.AEAD
	now   func() time.Time
}

// NewCodec returns a Codec for keys (each KeySize bytes). now may be nil.
func NewCodec(keys [][]byte, now func() time.Time) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("no cookie keys: at least one 32-byte key is needed")
	}
	if now == nil {
		now = time.Now
	}
	c := &Codec{now: now}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("cookie key %d is %d bytes, want %d", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("cookie key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("cookie key %d: %w", i+1, err)
		}
		c.aeads = append(c.aeads, aead)
	}
	return c, nil
}

type envelope struct {
	Exp int64           `json:"e"`
	V   json.RawMessage `json:"v"`
}

// Seal encrypts v for ttl. purpose is bound as associated data, so a cookie
// sealed for one purpose (a login) cannot be replayed as another (a session).
func (c *Codec) Seal(purpose string, v any, ttl time.Duration) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s cookie: %w", purpose, err)
	}
	plain, err := json.Marshal(envelope{Exp: c.now().Add(ttl).Unix(), V: raw})
	if err != nil {
		return "", fmt.Errorf("encode %s cookie: %w", purpose, err)
	}
	aead := c.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("cookie nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(purpose))), nil
}

// Open decrypts a value sealed for purpose into v.
func (c *Codec) Open(purpose, s string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ErrCookieInvalid
	}
	for _, aead := range c.aeads {
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return ErrCookieInvalid
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(purpose))
		if err != nil {
			continue
		}
		var env envelope
		if err := json.Unmarshal(plain, &env); err != nil {
			return ErrCookieInvalid
		}
		if !c.now().Before(time.Unix(env.Exp, 0)) {
			return ErrCookieExpired
		}
		if err := json.Unmarshal(env.V, v); err != nil {
			return ErrCookieInvalid
		}
		return nil
	}
	return ErrCookieInvalid
}
