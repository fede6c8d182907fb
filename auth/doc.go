// Package auth is secds's OpenID Connect relying party: the login round trip
// (authorization code with PKCE S256, state and nonce carried in a
// short-lived encrypted cookie), ID-token verification, claim extraction into
// an abac.Identity, and the encrypted session cookie. It keeps no server-side
// state, so any replica can finish a login another one started.
package auth
