// Package e2e is a fixture of browser tests for browserTests.
package e2e

import "testing"

type Browser struct{}

func NewBrowser(t *testing.T) *Browser { return &Browser{} }

func helper(t *testing.T) *Browser { return NewBrowser(t) }

func inChromium(t *testing.T) { helper(t) }

func TestDirect(t *testing.T) { NewBrowser(t) }

func TestThroughHelper(t *testing.T) { helper(t) }

func TestHandedToRun(t *testing.T) { t.Run("x", inChromium) }

func TestNoBrowser(t *testing.T) {}
