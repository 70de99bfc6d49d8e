package tier

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
	"strings"
	"testing"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/redis/rueidis"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir, and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tier-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestManagedRedisCredentialsAndTLS: a Redis that wants TLS and an ACL
// user, as managed services do. New takes Username, Password, TLSConfig and
// a ClientOption edit (whose changes to what coherence needs are undone);
// NewWithClient works with a client built from a cluster-style
// rueidis.ClientOption configured the same way; a wrong password is a
// clear error.
func TestManagedRedisCredentialsAndTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsAddr := l.Addr().String()
	l.Close()
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	s := startRedis(t, "--tls-port", tlsPort, "--tls-cert-file", certFile, "--tls-key-file", keyFile,
		"--tls-ca-cert-file", certFile, "--tls-auth-clients", "no")
	raw := s.rawClient()
	if err := raw.Do(bg, raw.B().Arbitrary("ACL", "SETUSER", "app", "on", ">s3cret", "~*", "&*", "+@all").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	tlsConf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	edited := false
	opts := func(o *Options[string]) {
		o.Addrs = []string{tlsAddr}
		o.Username, o.Password, o.TLSConfig = "app", "s3cret", tlsConf
		o.ClientOption = func(co *rueidis.ClientOption) {
			edited = co.Username == "app" && co.TLSConfig == tlsConf
			co.ConnWriteTimeout = 3 * time.Second
			co.DisableCache = true // undone: tracking needs the cache
		}
	}
	a := newReplica(t, s, "tls:", opts)
	if !edited {
		t.Fatal("Options.ClientOption was not called with the credentials and TLS set")
	}
	who, err := a.client.Do(bg, a.client.B().AclWhoami().Build()).ToString()
	if err != nil || who != "app" {
		t.Fatalf("connected as %q (%v); want the ACL user app", who, err)
	}

	// NewWithClient over a client configured as for a managed cluster
	// (rueidis finds out whether the seeds form a Cluster).
	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress: []string{tlsAddr},
		Username:    "app",
		Password:    "s3cret",
		TLSConfig:   tlsConf,
		ShuffleInit: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	b, err := NewWithClient(client, Options[string]{Prefix: "tls:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 100}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(bg, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	cache(t, a, "k", "v1")
	cache(t, b, "k", "v1")
	if err := b.Set(bg, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, a, "k"); return v == "v2" }) {
		t.Fatal("a TLS replica missed an invalidation")
	}
	if err := a.Set(bg, "k", "v3"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, b, "k"); return v == "v3" }) {
		t.Fatal("a NewWithClient replica over TLS missed an invalidation")
	}

	_, err = New(Options[string]{Addrs: []string{tlsAddr}, Prefix: "tls:", TTL: time.Minute,
		Local: shard.Options[string, string]{Capacity: 100}, Username: "app", Password: "wrong", TLSConfig: tlsConf})
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") || !strings.Contains(err.Error(), tlsAddr) {
		t.Fatalf("New with a wrong password: %v; want an error naming the address and WRONGPASS", err)
	}
	_, err = NewWithClient(client, Options[string]{Prefix: "tls:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 100}, Password: "x"})
	if err == nil || !strings.Contains(err.Error(), "set them on the client") {
		t.Fatalf("NewWithClient with a Password: %v", err)
	}
	_, err = New(Options[string]{Addrs: []string{tlsAddr}, Prefix: "a{b:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 100}})
	if err == nil || !strings.Contains(err.Error(), "hash tag") {
		t.Fatalf("New with Prefix a{b: %v", err)
	}
}
