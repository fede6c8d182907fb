// Package e2e holds every end-to-end journey of secds, and the harness
// they share. A journey is what a person does: open a notebook from a
// bookmark (open_test.go), sign out (logout_test.go), sign in the CLI and
// use it (cli_test.go, cli_api_test.go), administer the mapping
// (admin_test.go, admin_mapping_test.go, explain_test.go), come back from
// the provider with an error (callback_test.go), carry an Entra-sized
// identity (entra_test.go), run behind several replicas or through a
// provider's key rotation (replicas_test.go, rotation_test.go,
// tokens_test.go), and the operator's view (ops_test.go, tls_test.go).
//
// The harness (the non-test files) builds one kind of stack, StartStack:
// broker replicas made with compose.Build from one configuration file,
// behind a round-robin proxy whose URL is the public one, opening notebooks
// in the AWS emulator. StackOptions choose the provider: Ory Hydra, a
// certified OpenID provider with its login app (hydra*.go, loginapp.go,
// provider.go), or, by default, the dev identity provider in process; the
// number of replicas; https with TLS ending at the proxy as an ALB does
// (proxy.go, tls.go: __Host- cookies, a CA the run makes) or plain http on
// loopback, as the dev stack runs. With Hydra the defaults are
// production's shape (two replicas, https); with the dev provider, the dev
// stack's (one broker, http). The provider listens on 127.0.0.2, another
// site than the broker's 127.0.0.1, as a company's IdP is. Every stack
// fails its test if a secret reaches a log, the audit trail or a response
// (capture.go).
//
// A person is an HTTPUser (httpuser.go): a cookie jar that follows every
// redirect itself, so each hop is seen, signing in by the button
// login-<name>; or a Browser (browser.go), headless Chromium driven
// through chromedp, for what only a real browser decides (cookies kept,
// Origin sent, CSP). The CLI runs in process on a laptop (laptop_test.go)
// whose browser is either. Buffers are internal/testutil.Buffer.
//
// Every page a person sees goes through Browser.CheckPage (pages_test.go
// walks them all): its text is checked, it must not scroll sideways on a
// phone, its full-page screenshot is taken (and written to
// $SECDS_SCREENSHOTS_DIR when set: docs/screenshots), and axe-core audits
// it for WCAG 2 A and AA (a11y.go; axe comes from $SECDS_AXE_DIR or
// .tools/axe, make axe).
//
// Run: make e2e, or
//
//	SECDS_HYDRA_BIN=.tools/bin/hydra go test -race ./internal/e2e
//
// Hydra comes from $SECDS_HYDRA_BIN or .tools/bin/hydra (make tools),
// Chromium from $SECDS_CHROMIUM or PATH, axe-core as above. A test that needs a missing tool
// skips with a message, or fails when SECDS_REQUIRE_E2E=1, as make test
// sets: see Need. The journeys against the dev provider need neither and
// run in parallel.
package e2e
