// Package auth is secds's OpenID Connect relying party: the login round trip
// (authorization code with PKCE S256, state and nonce carried in a
// short-lived encrypted cookie), ID-token verification, claim extraction into
// an abac.Identity, the encrypted session cookie, and the broker-issued CLI
// tokens (EdDSA JWS with kid, rotating keys) with the one-time codes a CLI
// login trades for them. It keeps no server-side state (beyond a minute's
// memory of spent CLI codes), so any replica can finish a login another one
// started.
package auth
