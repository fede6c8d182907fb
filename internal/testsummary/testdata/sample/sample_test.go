// Package sample is testsummary's fixture: one test passes, one is
// skipped, one fails. It sits under testdata so ./... leaves it out.
package sample

import "testing"

func TestPasses(t *testing.T) { t.Log("quiet when it passes") }

func TestSkips(t *testing.T) { t.Skip("no tool here") }

func TestFails(t *testing.T) { t.Error("boom") }
