package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// discoveryPath is the broker's document for CLIs.
const discoveryPath = "/.well-known/secds-configuration"

// configureInput is what secds configure is asked: the broker's address,
// checked and cut to scheme://host[:port], and a CA file to trust.
type configureInput struct {
	Broker string
	CAFile string
}

func (a *App) configureCmd() *cobra.Command {
	var broker string
	var in configureInput
	parse := func(*cobra.Command, []string) (configureInput, error) {
		if broker == "" {
			return in, Exitf(ExitUsage, "--broker URL is required, e.g. secds configure --broker https://notebooks.example.com")
		}
		base, err := brokerBase(broker)
		in.Broker = base
		return in, err
	}
	cmd := &cobra.Command{
		Use:   "configure --broker URL",
		Short: "Point a profile at a secds broker",
		Long: `Point a profile (default "default") at a secds broker. secds reads the
broker's /.well-known/secds-configuration and keeps it in the profile, in
$XDG_CONFIG_HOME/secds/config.yaml (or the OS's config directory).

The broker must use https, unless it runs on this machine (127.0.0.1,
localhost), as the dev stack does. Configuring a profile for another broker
forgets the profile's login.

If the broker's certificate comes from your company's own certificate
authority, which this computer does not trust, --ca-file names that CA's
certificate (PEM); the profile then trusts those certificates alone for its
broker. Configure again without --ca-file to use the system's trust again.`,
		Example: `  secds configure --broker https://notebooks.example.com
  secds configure --broker https://notebooks.corp.example --ca-file corp-ca.pem
  secds configure --broker http://127.0.0.1:8080 --profile dev`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, parse, a.configure),
	}
	cmd.Flags().StringVar(&broker, "broker", "", "the broker's address, e.g. https://notebooks.example.com")
	cmd.Flags().StringVar(&in.CAFile, "ca-file", "", "PEM file of the CA that signed the broker's certificate, trusted alone for this broker")
	return cmd
}

// configure is secds configure.
func (a *App) configure(ctx context.Context, in configureInput) error {
	if err := a.ensure(); err != nil {
		return err
	}
	p := &Profile{Name: a.profileName, Broker: in.Broker}
	var err error
	if in.CAFile != "" {
		if p.CAFile, err = checkCAFile(in.CAFile); err != nil {
			return err
		}
	}
	var doc api.Configuration
	err = a.call(ctx, p, http.MethodGet, in.Broker+discoveryPath, "", nil, &doc)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status < 500 {
		return Exitf(ExitUsage, "%s does not look like a secds broker: %s answered %d. Check the address (the one you open notebooks with)", in.Broker, discoveryPath, ae.Status)
	}
	if err != nil {
		return err
	}
	if err := fromConfiguration(p, doc); err != nil {
		return err
	}
	cf, path, err := a.readConfig()
	if err != nil {
		return err
	}
	if old := cf.Profiles[p.Name]; old != nil && old.Broker != p.Broker {
		if _, err := a.store.Delete(p.Name); err != nil {
			return err
		}
	}
	cf.Profiles[p.Name] = p
	if err := a.writeConfig(cf, path); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stderr, "Profile %q now uses the broker at %s (version %s); saved in %s.\n", p.Name, p.Broker, p.Version, path)
	if p.Broker != in.Broker {
		fmt.Fprintf(a.env.Stderr, "The broker calls itself %s; secds will use that address.\n", p.Broker)
	}
	if !doc.CLILogin {
		fmt.Fprintln(a.env.Stderr, "Note: this broker has no CLI login yet (no token keys), so secds login will fail. Ask the platform team to set tokens.keys_file or SECDS_TOKEN_KEYS.")
	} else {
		fmt.Fprintf(a.env.Stderr, "Next: secds login%s\n", a.profileFlag())
	}
	return nil
}

// fromConfiguration checks the broker's configuration d and fills p from
// it. Every endpoint must be on the broker's own origin: the token goes to
// them.
func fromConfiguration(p *Profile, d api.Configuration) error {
	bad := func(what string) error {
		return Exitf(ExitUnavailable, "the broker at %s published an unusable configuration (%s). Tell the platform team", p.Broker, what)
	}
	base, err := brokerBase(d.BrokerURL)
	if err != nil {
		return bad("broker_url: " + err.Error())
	}
	if !strings.HasPrefix(d.CLILoginPath, "/") || strings.HasPrefix(d.CLILoginPath, "//") {
		return bad("cli_login_path")
	}
	if !strings.HasPrefix(d.TokenEndpoint, base+"/") {
		return bad("token_endpoint is not on " + base)
	}
	if !strings.HasPrefix(d.APIBase, base+"/") {
		return bad("api_base is not on " + base)
	}
	p.Broker, p.CLILoginPath, p.TokenEndpoint, p.APIBase, p.Version = base, d.CLILoginPath, d.TokenEndpoint, strings.TrimSuffix(d.APIBase, "/"), d.Version
	return nil
}

// brokerBase checks a broker address and returns it as scheme://host[:port].
func brokerBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", Exitf(ExitUsage, "%q is not a broker address: give its URL, e.g. https://notebooks.example.com", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", Exitf(ExitUsage, "%q has more than a scheme and host: give just the broker's address, e.g. https://notebooks.example.com", raw)
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return "", Exitf(ExitUsage, "%q uses plain http: tokens would cross the network unencrypted. Use the broker's https:// address", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
