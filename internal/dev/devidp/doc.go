// Package devidp is the OpenID Connect provider embedded in secds's dev stack.
//
// `secds-broker --dev` serves it on loopback with demo users so a newcomer can
// walk through the whole login without a real identity provider, and the
// end-to-end tests drive the same code. Because the broker talks to it with
// the real go-oidc and x/oauth2 relying-party libraries, it is deliberately
// strict: authorization-code flow only, PKCE S256 required, exact redirect URI
// match, single-use codes, authenticated confidential clients. What it leaves
// out on purpose is authentication: a visitor picks a demo user on the login
// page and no password is asked, so it must never be exposed beyond a
// developer's machine or a test.
package devidp
