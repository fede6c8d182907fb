// Package e2e proves secds end to end with the real things: Ory Hydra as a
// certified OpenID provider, headless Chromium driven through chromedp, and
// several broker replicas behind a round-robin proxy that share nothing but
// their keys.
//
// The non-test files are the harness (Hydra process and admin API, the
// login/consent app Hydra needs, the browser helpers, the proxy, a broker
// stack); the tests live beside them. Tests that need a missing tool skip
// with a message, or fail when SECDS_REQUIRE_E2E=1 (as under make test): see
// Need.
package e2e
