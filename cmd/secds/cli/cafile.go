package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// A broker behind a company's own certificate authority is reached with
// `secds configure --ca-file`: the profile then trusts that file's
// certificates, and only them, for its broker. Without it the system's roots
// apply (on Linux SSL_CERT_FILE and SSL_CERT_DIR replace those, as in every
// Go program).

// loadCAFile reads a PEM bundle of CA certificates.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	return pool, nil
}

// checkCAFile makes path absolute (the profile outlives the working
// directory) and checks that it holds certificates.
func checkCAFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = loadCAFile(abs)
	}
	if err != nil {
		return "", Exitf(ExitUsage, "--ca-file %s: %v. Give the PEM file of the CA that signed the broker's certificate", path, err)
	}
	return abs, nil
}

// httpClient is the client for p's broker: the environment's, or, when the
// profile names a CA file, a copy of it that trusts that file alone.
func (a *App) httpClient(p *Profile) (*http.Client, error) {
	base := a.env.HTTPClient
	if p.CAFile == "" {
		return base, nil
	}
	if c := a.caClients[p.CAFile]; c != nil {
		return c, nil
	}
	pool, err := loadCAFile(p.CAFile)
	if err != nil {
		return nil, Exitf(ExitFailure, "read the CA file of profile %q (%s): %v. Restore the file, or run: secds configure --broker %s --ca-file PATH%s",
			p.Name, p.CAFile, err, p.Broker, a.profileFlag())
	}
	var tr *http.Transport
	switch t := base.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, fmt.Errorf("profile %q names a CA file, but the CLI's HTTP transport (%T) cannot take one", p.Name, t)
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.RootCAs = pool
	c := *base
	c.Transport = tr
	if a.caClients == nil {
		a.caClients = map[string]*http.Client{}
	}
	a.caClients[p.CAFile] = &c
	return &c, nil
}

// tlsAdvice names the fix when the broker's certificate is not trusted.
func (a *App) tlsAdvice(p *Profile, err error) string {
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		return ""
	}
	if p.CAFile != "" {
		return fmt.Sprintf(" The broker's certificate is not signed by the CA in %s, which this profile trusts alone; get the right file from the platform team and run: secds configure --broker %s --ca-file PATH%s",
			p.CAFile, p.Broker, a.profileFlag())
	}
	return fmt.Sprintf(" The broker's certificate is not signed by a CA this computer trusts. If your company runs its own CA, get its certificate (PEM) from the platform team and run: secds configure --broker %s --ca-file PATH%s",
		p.Broker, a.profileFlag())
}
