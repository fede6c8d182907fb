// Package cli is the secds command line: configure a broker once, log in
// through the browser (the broker stays the only OIDC client; the CLI proves
// with PKCE that it started the login), then open, list and inspect notebooks
// through the broker's API. It keeps a broker token per profile in the OS
// keyring or, where there is none, in a 0600 file in the user's cache
// directory.
//
// Every command, the admin commands included, is listed in App.rootCmd. Each
// one parses its flags and arguments into an input struct and hands it to
// its use case (useCase), so tests check the parsing without a broker; the
// package is importable so that tests drive the real commands in-process
// (Run with an Env). The API's bodies and error codes are internal/api's.
package cli
