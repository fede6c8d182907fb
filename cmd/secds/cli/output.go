package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// outputFlag is --output on the commands whose result scripts read.
type outputFlag struct{ format string }

func (o *outputFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output format: text or json")
}

// json reports whether JSON was asked for, or a usage error for anything
// but text and json.
func (o *outputFlag) json() (bool, error) {
	switch o.format {
	case "text", "":
		return false, nil
	case "json":
		return true, nil
	}
	return false, Exitf(ExitUsage, "--output %q is not a format: use text or json", o.format)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // URLs keep their '&'
	return enc.Encode(v)
}
