//go:build !release

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var loopbackURLRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// TestReadmeShowsTheBanner: the banner the README shows, as the reader is
// told to recognise success by, is the one --dev prints, but for the
// ports and the cache folder.
func TestReadmeShowsTheBanner(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const first = "secds dev stack is running"
	readme := string(data)
	start := strings.Index(readme, "```text\n"+first)
	if start < 0 {
		t.Fatalf("README.md shows no banner (a text block starting %q)", first)
	}
	block := readme[start+len("```text\n"):]
	block = block[:strings.Index(block, "```")]

	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	r, _ := startDev(t, devOptions{})
	r.stop()
	normalize := func(s, cacheDir string) string {
		s = loopbackURLRE.ReplaceAllString(s, "http://127.0.0.1:PORT")
		return strings.TrimSpace(strings.ReplaceAll(s, cacheDir, "CACHE"))
	}
	got := normalize(r.stderr.String(), cache)
	got = got[strings.Index(got, first):]
	if want := normalize(block, "/home/you/.cache"); !strings.HasPrefix(got, want) {
		t.Errorf("README.md's banner:\n%s\n\nthe banner --dev prints:\n%s", want, got)
	}
}
