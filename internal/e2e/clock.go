package e2e

import (
	"sync/atomic"
	"time"
)

// Clock is the brokers' clock in a test: real time plus an offset the test
// moves forward, to let "a while" pass without sleeping.
type Clock struct {
	offset atomic.Int64
}

// Now is the shifted time; pass it as the brokers' clock.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
