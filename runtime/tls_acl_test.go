package runtime_test

// Security on real redis-server processes: TLS (server verification,
// client certificates, rediss:// URLs) and ACL users confined to a key
// prefix; no password in errors, logs or Health.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// roundTrip adds, checks and reads one member through a fresh set.
func roundTrip(t *testing.T, cm *runtime.ConnectionManager, key string) {
	t.Helper()
	ctx := ctxT(t)
	s := runtime.NewSet[string](cm, "test.StrSet", key, strCodec{})
	if n, err := s.Add(ctx, "alice", "bob"); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if ok, err := s.Contains(ctx, "alice"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if ok, err := s.Contains(ctx, "alice"); err != nil || !ok {
		t.Fatalf("Contains (cached) = %v, %v", ok, err)
	}
	if n, err := s.Size(ctx); err != nil || n != 2 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	if h := cm.Health(ctx); h.Status != runtime.StatusHealthy {
		t.Fatalf("Health = %+v", h)
	}
}

// connectFails expects NewConnectionManager to fail within bound with an
// error containing every one of want.
func connectFails(t *testing.T, o runtime.Options, bound time.Duration, want ...string) error {
	t.Helper()
	start := time.Now()
	cm, err := runtime.NewConnectionManager(o)
	took := time.Since(start)
	if err == nil {
		cm.Close()
		t.Fatalf("NewConnectionManager succeeded, want an error containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if took > bound {
		t.Errorf("NewConnectionManager took %v to fail, want < %v", took, bound)
	}
	t.Logf("failed in %v: %v", took.Round(time.Millisecond), err)
	return err
}

func TestTLS(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{TLS: true})
	const dial = time.Second

	t.Run("trusted CA", func(t *testing.T) {
		cfg, err := runtime.TLSConfigFromFiles(srv.Certs.CA, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		cm := newManager(t, srv, func(o *runtime.Options) { o.TLS = cfg; o.DialTimeout = dial })
		if !cm.CacheEnabled() {
			t.Error("client-side cache is off over TLS")
		}
		roundTrip(t, cm, "tls")
	})

	t.Run("rediss URL", func(t *testing.T) {
		o, err := runtime.ParseURL("rediss://" + srv.Addr + "/0?dial_timeout=1s&tls_ca_file=" + url.QueryEscape(srv.Certs.CA))
		if err != nil {
			t.Fatal(err)
		}
		if o.TLS == nil || o.TLS.RootCAs == nil {
			t.Fatalf("ParseURL(rediss://...tls_ca_file) gave TLS %+v", o.TLS)
		}
		cm, err := runtime.NewConnectionManager(o)
		if err != nil {
			t.Fatal(err)
		}
		defer cm.Close()
		roundTrip(t, cm, "tls-url")
	})

	t.Run("unknown CA", func(t *testing.T) {
		other := redistest.MakeCerts(t, t.TempDir())
		cfg, err := runtime.TLSConfigFromFiles(other.CA, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		err = connectFails(t, runtime.Options{Addrs: []string{srv.Addr}, TLS: cfg, DialTimeout: dial}, dial+3*time.Second,
			srv.Addr, "certificate signed by unknown authority")
		var uerr interface{ Unwrap() error }
		if !errors.As(err, &uerr) {
			t.Errorf("error %v wraps no cause", err)
		}
	})

	t.Run("system CAs only", func(t *testing.T) {
		o, err := runtime.ParseURL("rediss://" + srv.Addr + "?dial_timeout=1s")
		if err != nil {
			t.Fatal(err)
		}
		connectFails(t, o, dial+3*time.Second, "certificate")
	})

	t.Run("plain TCP to the TLS port", func(t *testing.T) {
		connectFails(t, runtime.Options{Addrs: []string{srv.Addr}, DialTimeout: dial}, dial+3*time.Second, srv.Addr, "TLS")
	})

	t.Run("TLS to a plain port", func(t *testing.T) {
		plain := redistest.Start(t, redistest.Config{})
		cfg, err := runtime.TLSConfigFromFiles(srv.Certs.CA, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		// The server waits for the end of a command line that never comes.
		const dial = 500 * time.Millisecond
		connectFails(t, runtime.Options{Addrs: []string{plain.Addr}, TLS: cfg, DialTimeout: dial}, dial+3*time.Second, plain.Addr, "does not serve TLS")
	})

	t.Run("bad files", func(t *testing.T) {
		if _, err := runtime.TLSConfigFromFiles(srv.Certs.ServerKey, "", "", ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("a key file as CA: %v", err)
		}
		if _, err := runtime.TLSConfigFromFiles(srv.Certs.CA, srv.Certs.ClientCert, "", ""); err == nil {
			t.Error("a client certificate without its key was accepted")
		}
		if _, err := runtime.ParseURL("rediss://" + srv.Addr + "?tls_ca_file=/nonexistent/ca.crt"); err == nil {
			t.Error("ParseURL accepted a missing CA file")
		}
	})
}

func TestTLSClientCertificate(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{TLS: true, RequireClientCert: true})
	const dial = time.Second

	t.Run("with certificate", func(t *testing.T) {
		cfg, err := runtime.TLSConfigFromFiles(srv.Certs.CA, srv.Certs.ClientCert, srv.Certs.ClientKey, "")
		if err != nil {
			t.Fatal(err)
		}
		cm := newManager(t, srv, func(o *runtime.Options) { o.TLS = cfg; o.DialTimeout = dial })
		roundTrip(t, cm, "mtls")
	})

	t.Run("rediss URL with certificate", func(t *testing.T) {
		q := url.Values{"tls_ca_file": {srv.Certs.CA}, "tls_cert_file": {srv.Certs.ClientCert}, "tls_key_file": {srv.Certs.ClientKey}}
		o, err := runtime.ParseURL("rediss://localhost:" + srv.Addr[strings.LastIndexByte(srv.Addr, ':')+1:] + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if o.TLS.ServerName != "localhost" {
			t.Errorf("ServerName = %q, want localhost", o.TLS.ServerName)
		}
		o.Addrs = []string{srv.Addr} // dial the IP, verify the name
		cm, err := runtime.NewConnectionManager(o)
		if err != nil {
			t.Fatal(err)
		}
		defer cm.Close()
		roundTrip(t, cm, "mtls-url")
	})

	t.Run("without certificate", func(t *testing.T) {
		cfg, err := runtime.TLSConfigFromFiles(srv.Certs.CA, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		connectFails(t, runtime.Options{Addrs: []string{srv.Addr}, TLS: cfg, DialTimeout: dial}, dial+3*time.Second, srv.Addr, "certificate")
	})
}

const (
	appPassword  = "s3cret-pw-9f4e"
	wrongPasswd  = "wr0ng-pw-77c1"
	appACLPrefix = "app:"
)

func TestACL(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{ACL: []string{
		"user default on nopass ~* &* +@all",
		// What the library needs: set commands, EXISTS (the read-your-writes
		// fence), UNLINK (Clear), PEXPIRE/PTTL, HELLO/AUTH/PING/CLIENT
		// (@connection: CLIENT TRACKING and CACHING for the cache), INFO
		// (Health). No MULTI/EXEC: a cache fill is one command.
		"user app on >" + appPassword + " resetkeys ~app:* resetchannels -@all +@set +@connection +exists +unlink +pexpire +pttl +info",
	}})
	logger, logs := debugLogger()
	opts := func(prefix string) runtime.Options {
		return runtime.Options{
			Addrs: []string{srv.Addr}, Username: "app", Password: appPassword, KeyPrefix: prefix,
			BreakerThreshold: 2, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond,
			Logger: logger,
		}
	}
	noPassword := func(where, s string) {
		t.Helper()
		if strings.Contains(s, appPassword) || strings.Contains(s, wrongPasswd) {
			t.Errorf("%s contains a password: %s", where, s)
		}
	}

	cm, err := runtime.NewConnectionManager(opts(appACLPrefix))
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	if !cm.CacheEnabled() {
		t.Error("client-side cache is off for the ACL user")
	}
	ctx := ctxT(t)

	// Inside the prefix every operation works.
	s := runtime.NewSet[string](cm, "test.StrSet", "users", strCodec{})
	other := runtime.NewSet[string](cm, "test.StrSet", "others", strCodec{})
	if s.Key() != "app:users" {
		t.Fatalf("Key = %q", s.Key())
	}
	if _, err := s.Add(ctx, "a", "b", "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Add(ctx, "c", "d"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Contains(ctx, "a"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if got, err := s.Intersect(ctx, other); err != nil || len(got) != 1 || got[0] != "c" {
		t.Fatalf("Intersect = %v, %v", got, err)
	}
	if _, err := s.UnionStore(ctx, s, other); err != nil {
		t.Fatalf("UnionStore: %v", err)
	}
	if ok, err := s.Move(ctx, other, "a"); err != nil || !ok {
		t.Fatalf("Move = %v, %v", ok, err)
	}
	if _, err := s.Pop(ctx, 1); err != nil {
		t.Fatalf("Pop: %v", err)
	}
	if ok, err := s.Expire(ctx, time.Minute); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if d, err := s.TTL(ctx); err != nil || d <= 0 {
		t.Fatalf("TTL = %v, %v", d, err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if out, err := srv.CLI("EXISTS", "app:others"); err != nil || out != "1" {
		t.Fatalf("redis-cli EXISTS app:others = %q, %v", out, err)
	}

	// Outside the prefix: NOPERM, named clearly, and the breaker stays closed.
	out, err := runtime.NewConnectionManager(opts(""))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	secret := runtime.NewSet[string](out, "test.StrSet", "secret", strCodec{})
	for i := range 5 {
		var err error
		switch i % 3 {
		case 0:
			_, err = secret.Add(ctx, "x")
		case 1:
			_, err = secret.Contains(ctx, "x")
		default:
			_, err = secret.Members(ctx)
		}
		if err == nil || !strings.Contains(err.Error(), "NOPERM") || !strings.Contains(err.Error(), "test.StrSet(secret).") {
			t.Fatalf("call %d outside the prefix: %v, want a NOPERM error naming the set", i, err)
		}
		if errors.Is(err, runtime.ErrCircuitOpen) {
			t.Fatalf("call %d: the breaker opened on permission errors", i)
		}
		noPassword("error", err.Error())
		if i == 0 {
			t.Logf("outside the prefix: %v", err)
		}
	}
	h := out.Health(ctx)
	if h.CircuitBreaker.State != "closed" || h.CircuitBreaker.FailureCount != 0 || h.Status != runtime.StatusHealthy {
		t.Errorf("after 5 NOPERM errors with threshold 2: Health %+v, want healthy, breaker closed", h)
	}
	inside := runtime.NewSet[string](out, "test.StrSet", "app:ok", strCodec{})
	if _, err := inside.Add(ctx, "y"); err != nil {
		t.Errorf("a key inside the prefix after NOPERM errors: %v", err)
	}

	// A wrong password fails at NewConnectionManager and is never shown.
	bad := opts(appACLPrefix)
	bad.Password = wrongPasswd
	err = connectFails(t, bad, 5*time.Second, "WRONGPASS")
	noPassword("error", err.Error())
	bad.Username = "nobody"
	err = connectFails(t, bad, 5*time.Second, "WRONGPASS")
	noPassword("error", err.Error())
	// Nor through a URL, even one that does not parse.
	u := "redis://app:" + wrongPasswd + "@" + srv.Addr + "/0"
	o, err := runtime.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	err = connectFails(t, o, 5*time.Second, "WRONGPASS")
	noPassword("error", err.Error())
	for _, bad := range []string{
		"redis://app:" + wrongPasswd + "@" + srv.Addr + "/x",
		"redis://app:" + wrongPasswd + "@" + srv.Addr + "/0?bogus=1",
		"redis://app:" + wrongPasswd + "@" + srv.Addr + "/0?retry_max_attempts=many",
		"redis://app:" + wrongPasswd + "@[::1" + "/0",
		"redis://app:" + wrongPasswd + "@" + srv.Addr + "/0?tls_ca_file=/x",
	} {
		if _, err := runtime.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) succeeded", bad)
		} else {
			noPassword("ParseURL error", err.Error())
		}
	}

	// Health, as JSON, with the server up and gone.
	raw, _ := json.Marshal(cm.Health(ctx))
	noPassword("Health JSON", string(raw))
	healthJSON(t, cm.Health(ctx))
	srv.Kill()
	start := time.Now()
	h = cm.Health(context.Background())
	if took := time.Since(start); took > runtime.HealthTimeout+time.Second {
		t.Errorf("Health with the server gone took %v", took)
	}
	raw, _ = json.Marshal(h)
	noPassword("Health JSON", string(raw))
	if h.Status != runtime.StatusUnhealthy {
		t.Errorf("Health with the server gone: %s", raw)
	}
	if _, err := s.Add(ctx, "z"); err == nil {
		t.Error("Add succeeded with the server gone")
	} else {
		noPassword("error", err.Error())
	}

	// Nor does formatting the options or the manager, which users log.
	logger.Info("configured", "opts", opts(appACLPrefix), "cm", cm)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		noPassword("fmt "+f, fmt.Sprintf(f, opts(appACLPrefix)))
		noPassword("fmt "+f, fmt.Sprintf(f, cm))
		noPassword("fmt "+f, fmt.Sprintf(f, cm.Options()))
	}
	if cm.Options().Password != appPassword {
		t.Error("Options() lost the password")
	}

	// Nothing logged, at Debug level, holds a password.
	l := logs.String()
	noPassword("log", l)
	if !strings.Contains(l, `"level":"DEBUG"`) {
		t.Errorf("no debug line was logged, so the check proves little: %s", l)
	}
}

// TestCacheFallback: a server that cannot track keys for this client (no
// RESP3, or CLIENT TRACKING denied by an ACL) gets a working manager with
// the client-side cache off and a warning, not a connection failure.
func TestCacheFallback(t *testing.T) {
	resp2 := redistest.Start(t, redistest.Config{Args: []string{"--rename-command", "HELLO", ""}})
	acl := redistest.Start(t, redistest.Config{ACL: []string{
		"user default on nopass ~* &* +@all",
		"user lite on >" + appPassword + " ~* -@all +@set +@transaction +hello +auth +ping +exists +unlink +info",
	}})
	for _, tc := range []struct {
		name string
		o    runtime.Options
	}{
		{"RESP2 only", runtime.Options{Addrs: []string{resp2.Addr}}},
		{"ACL without CLIENT TRACKING", runtime.Options{Addrs: []string{acl.Addr}, Username: "lite", Password: appPassword}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := debugLogger()
			tc.o.Logger = logger
			cm, err := runtime.NewConnectionManager(tc.o)
			if err != nil {
				t.Fatalf("NewConnectionManager: %v", err)
			}
			defer cm.Close()
			if cm.CacheEnabled() {
				t.Error("cache enabled on a server that cannot track")
			}
			roundTrip(t, cm, "fallback")
			if h := cm.Health(ctxT(t)); h.Cache.Enabled {
				t.Errorf("Health.Cache = %+v, want disabled", h.Cache)
			}
			l := logs.String()
			if !strings.Contains(l, "client-side caching disabled") {
				t.Errorf("no warning logged: %s", l)
			}
			if strings.Contains(l, appPassword) {
				t.Errorf("log holds the password: %s", l)
			}
			// A wrong password still fails: the fallback is not a way around it.
			tc.o.Password = wrongPasswd
			if tc.o.Username == "" {
				return // the RESP2 server has no password
			}
			err = connectFails(t, tc.o, 5*time.Second, "WRONGPASS")
			if strings.Contains(err.Error(), wrongPasswd) {
				t.Errorf("error holds the password: %v", err)
			}
		})
	}
}
