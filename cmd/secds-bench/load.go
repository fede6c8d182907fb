package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A request is what one open sends: a user's token and the body naming
// their notebook and team.
type request struct {
	token string
	body  []byte
}

// load drives POST url at a fixed concurrency until the duration is up or,
// with a count, that many requests have been sent, whichever comes first.
// Worker w sends requests w, w+concurrency, ... of reqs, cycling through
// them unless once is set (cold users: each is used once, and the run ends
// when they are used up).
type load struct {
	url         string
	concurrency int
	duration    time.Duration
	count       int // 0: no limit
	once        bool
	reqs        []request
}

// outcome is what a run measured on the client side.
type outcome struct {
	n         int
	errors    int
	statuses  map[int]int // the non-200 answers, by status (0: transport error)
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (o outcome) rate() float64 {
	if o.elapsed <= 0 {
		return 0
	}
	return float64(o.n) / o.elapsed.Seconds()
}

// newClient is the load generator's client: keep-alive, one idle
// connection kept per worker, so that each worker keeps its connection.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			DisableCompression:  true,
		},
	}
}

func (l load) run(ctx context.Context, client *http.Client) outcome {
	// The run stops sending at the deadline but lets the requests in flight
	// finish and counts them, so that the server's CPU time and AWS calls
	// over the run belong to the requests counted.
	deadline := time.Now().Add(l.duration)
	var next atomic.Int64
	type result struct {
		lat      []time.Duration
		errors   int
		statuses map[int]int
	}
	results := make([]result, l.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range l.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := result{statuses: map[int]int{}}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1) - 1)
				if (l.count > 0 && i >= l.count) || (l.once && i >= len(l.reqs)) {
					break
				}
				rq := l.reqs[i%len(l.reqs)]
				t0 := time.Now()
				status := send(ctx, client, l.url, rq)
				res.lat = append(res.lat, time.Since(t0))
				if status != http.StatusOK {
					res.errors++
					res.statuses[status]++
				}
			}
			results[w] = res
		}()
	}
	wg.Wait()
	o := outcome{elapsed: time.Since(start), statuses: map[int]int{}}
	for _, r := range results {
		o.latencies = append(o.latencies, r.lat...)
		o.errors += r.errors
		for s, n := range r.statuses {
			o.statuses[s] += n
		}
	}
	o.n = len(o.latencies)
	slices.Sort(o.latencies)
	return o
}

// send posts one open and reads the answer to the end (so the connection is
// reused) without keeping it: the answer holds a presigned URL.
func send(ctx context.Context, client *http.Client, url string, rq request) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(rq.body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+rq.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// latencies: the smallest value at least p% of them are at or below.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 || p <= 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
