package ingress_test

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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/ingress"
)

// selfSigned writes a certificate for 127.0.0.1 and its key under dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seatkeeper ingress test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServerSpeaksTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	cfg := ingress.Config{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv, err := ingress.Listen(cfg, h, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Shutdown(time.Second) })

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + srv.Addr().String() + ingress.Path)
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("HTTPS answer %d, TLS %+v: want 204 over TLS 1.2 or later", resp.StatusCode, resp.TLS)
	}
	resp, err = http.Get("http://" + srv.Addr().String() + ingress.Path)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener: %d, want it refused", resp.StatusCode)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := ingress.Config{Addr: ":8443", Token: "tok-0123456789abcdef", Rate: 1, Burst: 1,
		PublishTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	if err := (ingress.Config{}).Validate(); err != nil {
		t.Errorf("the ingress off: %v, want no error", err)
	}
	tests := []struct {
		name   string
		mutate func(*ingress.Config)
		want   string
	}{
		{"no credentials", func(c *ingress.Config) { c.Token = "" }, "neither SEATKEEPER_INGRESS_TOKEN nor SEATKEEPER_INGRESS_SECRET"},
		{"short token", func(c *ingress.Config) { c.Token = "short-secret-1" }, "SEATKEEPER_INGRESS_TOKEN"},
		{"secret not in whsec form", func(c *ingress.Config) { c.Secret = "plain-secret-value-123456789" }, "SEATKEEPER_INGRESS_SECRET"},
		{"cert without key", func(c *ingress.Config) { c.TLSCert = "cert.pem" }, "SEATKEEPER_INGRESS_TLS_KEY"},
		{"rate zero", func(c *ingress.Config) { c.Rate = 0 }, "SEATKEEPER_INGRESS_RATE"},
	}
	for _, tt := range tests {
		c := ok
		tt.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error naming %s", tt.name, err, tt.want)
			continue
		}
		for _, secret := range []string{"short-secret-1", "plain-secret-value-123456789", "tok-0123456789abcdef"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error shows a credential: %v", tt.name, err)
			}
		}
	}
}
