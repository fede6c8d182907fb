package server

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cssRules reads a stylesheet's rules: selector → property → value.
func cssRules(t *testing.T, name string) map[string]map[string]string {
	t.Helper()
	b, err := staticFS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(b), "")
	rules := map[string]map[string]string{}
	for _, m := range regexp.MustCompile(`([^{}]+)\{([^}]*)\}`).FindAllStringSubmatch(src, -1) {
		decls := map[string]string{}
		for _, d := range strings.Split(m[2], ";") {
			if k, v, ok := strings.Cut(d, ":"); ok {
				decls[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		for _, sel := range strings.Split(m[1], ",") {
			rules[strings.TrimSpace(sel)] = decls
		}
	}
	return rules
}

// luminance is a #rgb or #rrggbb colour's relative luminance (WCAG 2).
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		t.Fatalf("%q is not a hex colour", hex)
	}
	var l [3]float64
	for i := range l {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			t.Fatalf("%q is not a hex colour", hex)
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestAdminColoursContrast: the admin page's coloured text reaches WCAG
// AA's 4.5:1 on the background it is drawn on.
func TestAdminColoursContrast(t *testing.T) {
	rules := cssRules(t, "static/admin.css")
	get := func(sel, prop string) string {
		t.Helper()
		if v := rules[sel][prop]; v != "" {
			return v
		}
		t.Fatalf("admin.css has no %s for %s", prop, sel)
		return ""
	}
	const white, text = "#fff", "#1d2330"
	for _, c := range []struct{ what, fg, bg string }{
		{`"live" badge`, get("#admin .badge", "color"), get("#admin .badge", "background")},
		{`"invalid" badge`, get("#admin .badge", "color"), get("#admin .badge.bad", "background")},
		{`"granted" in explain`, get("#admin tr.granted td:nth-child(2)", "color"), white},
		{"text on the live row", text, get("#admin tr.serving td", "background")},
		{"a notice", text, get("#admin .notice", "background")},
		{"a diff's hunk header", get("#admin .diff .hunk", "color"), get("#admin .diff .hunk", "background")},
		{"a diff's file names", get("#admin .diff .file", "color"), get("#admin pre", "background")},
		{"an explain rule", get("#admin ul.rules", "color"), white},
		{"a line number", get("#admin .excerpt .ln", "color"), get("#admin .excerpt", "background")},
	} {
		if r := contrast(t, c.fg, c.bg); r < 4.5 {
			t.Errorf("%s: %s on %s is %.2f:1, below 4.5:1", c.what, c.fg, c.bg, r)
		}
	}
}
