// Package e2e proves secds end to end with the real things: Ory Hydra as a
// certified OpenID provider, headless Chromium driven through chromedp, the
// secds CLI, and two broker replicas behind a round-robin proxy that share
// nothing but their configuration and keys.
//
// The world is production's shape: the public URL is https by default, the
// proxy terminating TLS as an ALB does (X-Forwarded-Proto, X-Forwarded-For,
// trusted_proxies) with a certificate from a CA the run makes (tls.go), so
// the broker's cookies are __Host- and Secure; Chromium trusts exactly that
// certificate's key, the CLI exactly that CA (secds configure --ca-file).
// The provider listens on 127.0.0.2, another site than the broker's
// 127.0.0.1, as a company's IdP is. StackOptions{Scheme: "http"} gives the
// dev stack's plain loopback instead.
//
// The non-test files are the harness: Hydra's process and admin API
// (hydra*.go), the login/consent app Hydra hands its users to
// (loginapp.go), the browser helpers (browser.go), the proxy (proxy.go),
// the test CA (tls.go), a broker stack built with compose.Build (stack.go) and
// a cookie-jar user for steps that must be deterministic (httpuser.go).
// The tests live beside them; cookies_test.go checks a signed-in browser's
// cookies (wantBrokerCookies). A test that needs a missing tool skips with a message, or fails
// when SECDS_REQUIRE_E2E=1, as under make test: see Need.
package e2e
