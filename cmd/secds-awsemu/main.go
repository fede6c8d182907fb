// Command secds-awsemu serves the loopback AWS emulator (STS and SageMaker
// notebook instances, see internal/dev/awsemu) on its own, for trying the broker
// or the CLI against it, or for poking at it with the AWS CLI:
//
//	secds-awsemu --seed configs/awsemu.example.yaml --mapping configs/dev/teams.yaml --listen 127.0.0.1:4566
//
// With --mapping, the emulator's IAM gets the policies `secds admin iam`
// generates from that team mapping: each team role's trust and permission
// policies, and the broker's identity policy on the seed credential whose
// principal is --broker-principal (default: the seed's first credential).
// Without it, IAM has only the roles and policies the seed writes out.
//
// It refuses to listen on anything but loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "secds-awsemu:", err)
		}
		os.Exit(2)
	}
}

// run serves until ctx is done. It is main without the process: tests call
// it with their own context and writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("secds-awsemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedPath := fs.String("seed", "configs/awsemu.example.yaml", "seed YAML: credentials, roles and notebooks")
	listen := fs.String("listen", "127.0.0.1:4566", "loopback host:port to listen on")
	mappingPath := fs.String("mapping", "", "team mapping whose generated IAM policies (secds admin iam) the emulator enforces")
	brokerPrincipal := fs.String("broker-principal", "", "with --mapping: the broker's IAM user or role ARN, a seed credential's principal (default: the first credential's)")
	quiet := fs.Bool("quiet", false, "do not log each request")
	delay := fs.Duration("transition-delay", 5*time.Second, "how long a started notebook stays Pending (and a stopped one Stopping)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	// Refuse a public address before reading the seed, whatever else is wrong.
	if err := awsemu.CheckLoopback(*listen); err != nil {
		return err
	}
	seed, err := awsemu.LoadSeed(*seedPath)
	if err != nil {
		return err
	}
	if *mappingPath != "" {
		if seed, err = withMapping(seed, *mappingPath, *brokerPrincipal); err != nil {
			return err
		}
	} else if *brokerPrincipal != "" {
		return errors.New("--broker-principal needs --mapping")
	}
	opts := []awsemu.Option{awsemu.WithTransitionDelay(*delay)}
	if !*quiet {
		opts = append(opts, awsemu.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}
	emu, err := awsemu.New(seed, opts...)
	if err != nil {
		return err
	}
	base, err := awsemu.Serve(ctx, emu, *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "secds-awsemu: serving STS and SageMaker (region %s) on %s\n", seed.Region, base)
	fmt.Fprintf(stdout, "Point the AWS SDK or CLI at it (keys are in %s):\n", *seedPath)
	fmt.Fprintf(stdout, "export AWS_ENDPOINT_URL_STS=%s\n", base)
	fmt.Fprintf(stdout, "export AWS_ENDPOINT_URL_SAGEMAKER=%s\n", base)
	fmt.Fprintf(stdout, "export AWS_REGION=%s\n", seed.Region)
	<-ctx.Done()
	fmt.Fprintln(stdout, "secds-awsemu: stopped")
	return nil
}

// withMapping gives the seed the IAM policies generated from a mapping file.
func withMapping(seed awsemu.Seed, path, principal string) (awsemu.Seed, error) {
	m, err := compose.LoadMapping(path)
	if err != nil {
		return awsemu.Seed{}, err
	}
	if principal == "" {
		if len(seed.Credentials) == 0 {
			return awsemu.Seed{}, errors.New("--mapping: the seed has no credential for the broker")
		}
		principal = seed.Credentials[0].Principal
	}
	seed, err = iamseed.Apply(seed, m, iampolicy.Options{BrokerPrincipal: principal})
	if err != nil {
		return awsemu.Seed{}, fmt.Errorf("--mapping %s: %w", path, err)
	}
	return seed, nil
}
