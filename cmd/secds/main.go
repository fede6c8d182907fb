// Command secds is the secds CLI: configure a broker once, then `secds open`
// signs in through the browser and opens your SageMaker notebook. See
// `secds --help`; the commands live in package cli.
package main

import (
	"os"

	"github.com/secds/secds/cmd/secds/cli"
)

func main() {
	os.Exit(cli.Main())
}
