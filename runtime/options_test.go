package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
)

func TestWithDefaults(t *testing.T) {
	d := Options{}.withDefaults()
	want := Options{
		Addrs:            []string{DefaultAddr},
		MaxConnections:   DefaultMaxConnections,
		RetryMaxAttempts: DefaultRetryMaxAttempts,
		RetryBaseDelay:   DefaultRetryBaseDelay,
		RetryMaxDelay:    DefaultRetryMaxDelay,
		BreakerThreshold: DefaultBreakerThreshold,
		BreakerTimeout:   DefaultBreakerTimeout,
		CacheTTL:         DefaultCacheTTL,
		CallTimeout:      DefaultCallTimeout,
		DialTimeout:      DefaultDialTimeout,
		MaxFlushDelay:    DefaultMaxFlushDelay,
	}
	if !optionsEqual(d, want) {
		t.Fatalf("defaults = %+v\nwant %+v", d, want)
	}
	// The documented defaults.
	if DefaultAddr != "127.0.0.1:6379" || DefaultRetryMaxAttempts != 3 || DefaultBreakerThreshold != 5 ||
		DefaultBreakerTimeout != 60*time.Second || DefaultCacheTTL != 60*time.Second {
		t.Fatal("defaults differ from the documented ones")
	}

	// Negative values are defaulted like zero ones.
	neg := Options{MaxConnections: -1, RetryMaxAttempts: -1, RetryBaseDelay: -1, RetryMaxDelay: -1,
		BreakerThreshold: -1, BreakerTimeout: -1, CacheTTL: -1, CallTimeout: -1, DialTimeout: -1}.withDefaults()
	if !optionsEqual(neg, want) {
		t.Fatalf("negative values: %+v", neg)
	}

	// Explicit values are kept.
	set := Options{
		Addrs: []string{"h:1"}, Username: "u", Password: "p", DB: 4, MaxConnections: 3, RetryMaxAttempts: 1,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: time.Second, BreakerThreshold: 9, BreakerTimeout: time.Minute,
		CacheTTL: time.Hour, DisableCache: true, KeyPrefix: "p:", CallTimeout: 7 * time.Second,
		DialTimeout: 8 * time.Second, ForceSingleNode: true, ClientName: "c", MaxFlushDelay: -1,
		SentinelMasterSet: "m", SentinelUsername: "su", SentinelPassword: "sp",
	}
	if got := set.withDefaults(); !optionsEqual(got, set) {
		t.Fatalf("explicit values changed: %+v", got)
	}

	// A max delay under the base delay is raised to it.
	if got := (Options{RetryBaseDelay: time.Second, RetryMaxDelay: time.Millisecond}).withDefaults(); got.RetryMaxDelay != time.Second {
		t.Errorf("RetryMaxDelay = %v, want raised to the base delay", got.RetryMaxDelay)
	}
	if got := (Options{RetryBaseDelay: 2 * time.Second}).withDefaults(); got.RetryMaxDelay != 2*time.Second {
		t.Errorf("RetryMaxDelay = %v with a 2s base and the 1s default max", got.RetryMaxDelay)
	}

	// Under Sentinel, the default address is a local sentinel's.
	if got := (Options{SentinelMasterSet: "m"}).withDefaults(); !slices.Equal(got.Addrs, []string{DefaultSentinelAddr}) || DefaultSentinelAddr != "127.0.0.1:26379" {
		t.Errorf("sentinel default Addrs = %v", got.Addrs)
	}

	// withDefaults does not modify the caller's Addrs.
	o := Options{}
	_ = o.withDefaults()
	if o.Addrs != nil {
		t.Error("withDefaults modified its receiver")
	}
}

func optionsEqual(a, b Options) bool {
	return slices.Equal(a.Addrs, b.Addrs) && a.Username == b.Username && a.Password == b.Password && a.DB == b.DB &&
		a.TLS == b.TLS && a.MaxConnections == b.MaxConnections && a.RetryMaxAttempts == b.RetryMaxAttempts &&
		a.RetryBaseDelay == b.RetryBaseDelay && a.RetryMaxDelay == b.RetryMaxDelay &&
		a.BreakerThreshold == b.BreakerThreshold && a.BreakerTimeout == b.BreakerTimeout &&
		a.CacheTTL == b.CacheTTL && a.DisableCache == b.DisableCache && a.KeyPrefix == b.KeyPrefix &&
		a.Logger == b.Logger && a.CallTimeout == b.CallTimeout && a.DialTimeout == b.DialTimeout &&
		a.ForceSingleNode == b.ForceSingleNode && a.ClientName == b.ClientName && a.MaxFlushDelay == b.MaxFlushDelay &&
		a.SentinelMasterSet == b.SentinelMasterSet && a.SentinelUsername == b.SentinelUsername && a.SentinelPassword == b.SentinelPassword
}

func TestValidate(t *testing.T) {
	good := []Options{{}, {Addrs: []string{"a:1", "/tmp/x.sock"}, DB: 15}, {SentinelMasterSet: "m", Addrs: []string{"s1:26379", "s2:26379"}}}
	for _, o := range good {
		if err := o.withDefaults().validate(); err != nil {
			t.Errorf("validate(%+v) = %v", o, err)
		}
	}
	bad := map[string]Options{
		"empty address":              {Addrs: []string{"a:1", ""}},
		"negative DB":                {DB: -2},
		"sentinel and a single node": {SentinelMasterSet: "m", ForceSingleNode: true},
		"sentinel on a socket":       {SentinelMasterSet: "m", Addrs: []string{"/tmp/s.sock"}},
	}
	for name, o := range bad {
		err := o.withDefaults().validate()
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: validate = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestTLSConfigFromFiles(t *testing.T) {
	dir := t.TempDir()
	certs := redistest.MakeCerts(t, dir)

	cfg, err := TLSConfigFromFiles(certs.CA, "", "", "")
	if err != nil || cfg.RootCAs == nil || len(cfg.Certificates) != 0 || cfg.ServerName != "" || cfg.MinVersion < 0x0303 {
		t.Fatalf("CA only: %+v, %v", cfg, err)
	}
	cfg, err = TLSConfigFromFiles(certs.CA, certs.ClientCert, certs.ClientKey, "redis.internal")
	if err != nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "redis.internal" {
		t.Fatalf("CA and client cert: %+v, %v", cfg, err)
	}
	cfg, err = TLSConfigFromFiles("", "", "", "")
	if err != nil || cfg.RootCAs != nil {
		t.Fatalf("system pool: %+v, %v", cfg, err)
	}

	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := map[string][3]string{
		"missing CA":         {filepath.Join(dir, "none.pem"), "", ""},
		"CA not PEM":         {notPEM, "", ""},
		"cert without key":   {certs.CA, certs.ClientCert, ""},
		"key without cert":   {certs.CA, "", certs.ClientKey},
		"key does not match": {certs.CA, certs.ClientCert, certs.ServerKey},
		"cert not PEM":       {"", notPEM, notPEM},
	}
	for name, f := range bad {
		cfg, err := TLSConfigFromFiles(f[0], f[1], f[2], "")
		if err == nil || cfg != nil {
			t.Errorf("%s: %v, %v; want an error", name, cfg, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "setgen: ") {
			t.Errorf("%s: error %q lacks the setgen: prefix", name, err)
		}
	}
}
