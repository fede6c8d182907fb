// Package e2e proves secds end to end with the real things: Ory Hydra as a
// certified OpenID provider, headless Chromium driven through chromedp, the
// secds CLI, and two broker replicas behind a round-robin proxy that share
// nothing but their configuration and keys.
//
// The non-test files are the harness: Hydra's process and admin API
// (hydra*.go), the login/consent app Hydra hands its users to
// (loginapp.go), the browser helpers (browser.go), the proxy (proxy.go), a
// broker stack built with app.Build (stack.go) and a cookie-jar user for
// steps that must be deterministic (httpuser.go). The tests live beside
// them. A test that needs a missing tool skips with a message, or fails
// when SECDS_REQUIRE_E2E=1, as under make test: see Need.
package e2e
