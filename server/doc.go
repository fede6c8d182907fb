// Package server is secds's HTTP layer on echo: routes, handlers that return
// errors, the one error handler that turns them into pages or JSON, embedded
// templates and the security middleware. Only cmd/ and the dev stack import it.
//
// Every route is added through its audience (routes.go), whose guard runs
// before the handler. What the server needs of sign-in, the broker, CLI
// tokens and the mapping it declares as small interfaces (deps.go), so its
// own tests run on fakes and the network-free real pieces.
package server
