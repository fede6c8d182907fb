// Package cli is the secds command line: configure a broker once, log in
// through the browser (the broker stays the only OIDC client; the CLI proves
// with PKCE that it started the login), then open, list and inspect notebooks
// through the broker's API. It keeps a broker token per profile in the OS
// keyring or, where there is none, in a 0600 file in the user's cache
// directory.
//
// The package is importable so that tests drive the real commands in-process
// (Run with an Env) and so that commands defined beside main (the admin
// commands) can register with AddCommand and call the API with App.Do.
package cli
