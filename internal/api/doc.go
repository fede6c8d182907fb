// Package api is the HTTP API's wire contract, shared by the broker's HTTP
// layer (server) and the CLI (cmd/secds/cli): the request and response
// bodies, the error codes with the titles of their pages, and Error, the one
// refusal that auth, broker and server return and the error handler shows.
//
// It imports nothing of ours but abac (the explain answer is abac's
// explanation) and no web framework, so the CLI links it as it is.
package api
