package devidp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-jose/go-jose/v4"
)

// signingAlg is RS256: it is what most real providers use and the one
// algorithm every relying party must support (OpenID Connect Core §15.1).
const signingAlg = jose.RS256

// signingKey is the provider's ID-token key. It lives only in memory: a
// restarted dev stack gets a new key, which relying parties pick up by kid.
type signingKey struct {
	public jose.JSONWebKey
	signer jose.Signer
}

func newSigningKey() (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate RSA signing key: %w", err)
	}
	pub := jose.JSONWebKey{Key: &priv.PublicKey, Algorithm: string(signingAlg), Use: "sig"}
	// The RFC 7638 thumbprint is a stable, collision-free kid.
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key thumbprint: %w", err)
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: signingAlg, Key: jose.JSONWebKey{Key: priv, KeyID: pub.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("new ID-token signer: %w", err)
	}
	return &signingKey{public: pub, signer: signer}, nil
}

// sign returns claims as a compact JWS.
func (k *signingKey) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("marshal ID-token claims: %w", err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign ID token: %w", err)
	}
	return jws.CompactSerialize()
}

func (p *Provider) handleKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{p.key.public}})
}
