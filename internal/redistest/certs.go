package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are PEM files made for one test: a CA, a server certificate for
// 127.0.0.1 and localhost, and a client certificate, all signed by the CA.
type Certs struct {
	CA, CAKey             string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	caCert                *x509.Certificate
	caPriv                *ecdsa.PrivateKey
	dir                   string
}

// MakeCerts writes a fresh CA and certificates into dir.
func MakeCerts(t testing.TB, dir string) *Certs {
	t.Helper()
	c := &Certs{dir: dir}
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "setgen test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("redistest: make CA: %v", err)
	}
	c.caCert, _ = x509.ParseCertificate(der)
	c.caPriv = caKey
	c.CA, c.CAKey = writePair(t, dir, "ca", der, caKey)
	c.ServerCert, c.ServerKey = c.issue(t, "server", x509.ExtKeyUsageServerAuth)
	c.ClientCert, c.ClientKey = c.issue(t, "client", x509.ExtKeyUsageClientAuth)
	return c
}

func (c *Certs) issue(t testing.TB, name string, usage x509.ExtKeyUsage) (string, string) {
	t.Helper()
	key := newKey(t)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "setgen test " + name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.caCert, &key.PublicKey, c.caPriv)
	if err != nil {
		t.Fatalf("redistest: issue %s certificate: %v", name, err)
	}
	return writePair(t, c.dir, name, der, key)
}

// ClientConfig returns a tls.Config trusting the test CA, presenting the
// client certificate when withCert is set.
func (c *Certs) ClientConfig(withCert bool) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(c.caCert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if withCert {
		if cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey); err == nil {
			cfg.Certificates = []tls.Certificate{cert}
		}
	}
	return cfg
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("redistest: generate key: %v", err)
	}
	return k
}

func writePair(t testing.TB, dir, name string, der []byte, key *ecdsa.PrivateKey) (string, string) {
	t.Helper()
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("redistest: marshal key: %v", err)
	}
	cf, kf := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("redistest: write %s: %v", cf, err)
	}
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatalf("redistest: write %s: %v", kf, err)
	}
	return cf, kf
}
