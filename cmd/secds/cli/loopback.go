package cli

import (
	"context"
	"crypto/subtle"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"sync"
	"time"
)

// callbackResult is what the browser brought back to the loopback listener.
type callbackResult struct {
	code string
	err  error
}

var callbackPage = template.Must(template.New("cb").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>secds — {{.Title}}</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3em;">
<h1 id="title">{{.Title}}</h1>
<p>{{.Text}}</p>
</body></html>
`))

// listenCallback starts the CLI's end of a browser login: an HTTP listener on
// 127.0.0.1 (a random port) that takes one /callback with the expected state.
// It returns the redirect URI to give the broker, the channel the code
// arrives on, and the function that stops the listener.
func listenCallback(state string) (string, <-chan callbackResult, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, fmt.Errorf("listen on 127.0.0.1 for the browser's answer: %w", err)
	}
	host := ln.Addr().String()
	results := make(chan callbackResult, 1)
	var once sync.Once
	page := func(w http.ResponseWriter, status int, title, text string) {
		h := w.Header()
		// The URL holds the code: keep it out of caches and Referer headers.
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = callbackPage.Execute(w, map[string]string{"Title": title, "Text": text})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		// A page on another site could reach 127.0.0.1 through a rebound DNS
		// name; only requests addressed to this exact host:port count.
		if r.Host != host {
			page(w, http.StatusBadRequest, "Wrong address", "This listener only answers on "+host+".")
			return
		}
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			page(w, http.StatusBadRequest, "Not this login", "This sign-in answer is not for the secds login waiting here. Run secds login again.")
			return
		}
		if e := q.Get("error"); e != "" {
			// The person pressed Cancel on the broker's confirmation page
			// (RFC 6749 §4.1.2.1): stop waiting.
			err := fmt.Errorf("the sign-in was cancelled in the browser")
			if e != "access_denied" {
				err = fmt.Errorf("the broker refused the sign-in (%.40q)", e)
			}
			once.Do(func() { results <- callbackResult{err: err} })
			page(w, http.StatusOK, "Cancelled", "No terminal was signed in. You can close this tab.")
			return
		}
		code := q.Get("code")
		if code == "" {
			page(w, http.StatusBadRequest, "No code", "The broker sent no sign-in code. Run secds login again.")
			return
		}
		delivered := false
		once.Do(func() { results <- callbackResult{code: code}; delivered = true })
		if !delivered {
			page(w, http.StatusConflict, "Already received", "This login already received its answer. Return to your terminal.")
			return
		}
		page(w, http.StatusOK, "Signed in", "Return to your terminal: secds is finishing the login. You can close this tab.")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		page(w, http.StatusNotFound, "Not found", "secds only listens here for the sign-in answer.")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		// Let the browser get its page: the code may arrive just before it
		// is written.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + host + "/callback", results, stop, nil
}
