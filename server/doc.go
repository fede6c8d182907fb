// Package server is secds's HTTP layer on echo: routes, handlers that return
// errors, the one error handler that turns them into pages or JSON, embedded
// templates and the security middleware. Only cmd/ and the dev stack import it.
package server
