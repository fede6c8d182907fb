package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"p0 is nothing", ms(1, 2, 3), 0, 0},
		{"median of four is the second (nearest rank)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p90 of 1..100", ms(hundred...), 90, 90 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p100 is the largest", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"above 100 is the largest", ms(1, 2, 3), 150, 3 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		o, err := parseArgs(nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if o.duration != 5*time.Second || o.concurrency != 16 || o.high != 256 || o.notebooks != 1000 || o.rounds < 1 {
			t.Errorf("defaults = %+v", o)
		}
		if !slices.Equal(o.scenarios, allScenarios) {
			t.Errorf("scenarios = %v, want all: %v", o.scenarios, allScenarios)
		}
	})
	t.Run("scenarios run in the usual order, once each", func(t *testing.T) {
		o, err := parseArgs([]string{"-scenarios", "c256, warm,warm", "-duration", "2s", "-rounds", "1"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{scWarm, scHigh}; !slices.Equal(o.scenarios, want) {
			t.Errorf("scenarios = %v, want %v", o.scenarios, want)
		}
		if o.duration != 2*time.Second || o.rounds != 1 {
			t.Errorf("options = %+v", o)
		}
	})
	for _, tc := range []struct {
		args []string
		msgs []string // every mistake is reported, all at once
	}{
		{[]string{"-scenarios", "warm,hot"}, []string{`unknown scenario "hot"`}},
		{[]string{"-scenarios", ","}, []string{"none given"}},
		{[]string{"-duration", "0s", "-concurrency", "0"}, []string{"-duration 0s", "-concurrency 0"}},
		{[]string{"-rounds", "0", "-high", "-1", "-cold-users", "0"}, []string{"-rounds 0", "-high -1", "-cold-users 0"}},
		{[]string{"-notebooks", "10000"}, []string{"at most 9999"}},
		{[]string{"-many-discovery-ttl", "0s"}, []string{"-many-discovery-ttl 0s"}},
		{[]string{"extra"}, []string{"unexpected arguments"}},
		{[]string{"-nope"}, []string{"not defined"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseArgs(tc.args, io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, m := range tc.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
		})
	}
}

func TestParseVmHWM(t *testing.T) {
	got, err := parseVmHWM("Name:\tsecds-bench\nVmPeak:\t  900 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 4000 kB\n")
	if err != nil || got != 50<<20 {
		t.Errorf("parseVmHWM = %d, %v; want %d", got, err, 50<<20)
	}
	if _, err := parseVmHWM("Name:\tx\n"); err == nil {
		t.Error("a status without VmHWM was accepted")
	}
}
