package runtime_test

import (
	"crypto/tls"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		url   string
		check func(t *testing.T, o runtime.Options)
	}{
		{"redis://localhost:6380", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"localhost:6380"}), "Addrs %v", o.Addrs)
			urlWant(t, o.Username == "" && o.Password == "" && o.DB == 0 && o.TLS == nil, "%+v", o)
		}},
		{"redis://", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"127.0.0.1:6379"}), "default address %v", o.Addrs)
		}},
		{"redis://example.com", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"example.com:6379"}), "default port %v", o.Addrs)
		}},
		{"redis://[::1]:7000/2", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"[::1]:7000"}) && o.DB == 2, "IPv6: %v db %d", o.Addrs, o.DB)
		}},
		{"redis://app:s%40cret@h:1/5", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.Username == "app" && o.Password == "s@cret" && o.DB == 5, "user %q pass %q db %d", o.Username, o.Password, o.DB)
		}},
		{"redis://:onlypass@h:1", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.Username == "" && o.Password == "onlypass", "user %q pass %q", o.Username, o.Password)
		}},
		{"redis://onlyuser@h:1", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.Username == "onlyuser" && o.Password == "", "user %q pass %q", o.Username, o.Password)
		}},
		{"redis://h:1/", func(t *testing.T, o runtime.Options) { urlWant(t, o.DB == 0, "db %d", o.DB) }},
		{"redis://h:1/3?db=7", func(t *testing.T, o runtime.Options) { urlWant(t, o.DB == 7, "query db wins: %d", o.DB) }},
		{"redis://h1:1?addr=h2:2&addr=h3:3", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"h1:1", "h2:2", "h3:3"}), "Addrs %v", o.Addrs)
		}},
		{"redis://h:1?max_connections=12&retry_max_attempts=4&retry_base_delay=5ms&retry_max_delay=2s" +
			"&linearizable_writes=true&breaker_threshold=7&breaker_timeout=30s&cache_ttl=1m&disable_cache=true&key_prefix=app%3A" +
			"&call_timeout=3s&dial_timeout=500ms&client_name=svc", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.MaxConnections == 12 && o.RetryMaxAttempts == 4 && o.RetryBaseDelay == 5*time.Millisecond &&
				o.RetryMaxDelay == 2*time.Second && o.LinearizableWrites && o.BreakerThreshold == 7 && o.BreakerTimeout == 30*time.Second &&
				o.CacheTTL == time.Minute && o.DisableCache && o.KeyPrefix == "app:" && o.CallTimeout == 3*time.Second &&
				o.DialTimeout == 500*time.Millisecond && o.ClientName == "svc", "%+v", o)
		}},
		{"rediss://u:p@cache.example.com:6380/1", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.TLS != nil, "rediss without TLS config")
			urlWant(t, o.TLS.ServerName == "cache.example.com" && !o.TLS.InsecureSkipVerify && o.TLS.MinVersion >= tls.VersionTLS12,
				"TLS %+v", o.TLS)
			urlWant(t, o.DB == 1 && o.Username == "u" && o.Password == "p", "%+v", o)
		}},
		{"rediss://10.0.0.1:6380?tls_server_name=redis.internal&tls_insecure_skip_verify=true", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.TLS != nil && o.TLS.ServerName == "redis.internal" && o.TLS.InsecureSkipVerify, "TLS %+v", o.TLS)
		}},
		{"redis+sentinel://s1:26380,s2,[::1]:26381/mymaster", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"s1:26380", "s2:26379", "[::1]:26381"}) && o.SentinelMasterSet == "mymaster" && o.DB == 0,
				"sentinels %v master set %q db %d", o.Addrs, o.SentinelMasterSet, o.DB)
		}},
		{"redis+sentinel://s1/m?addr=s2&addr=s3:26380", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"s1:26379", "s2:26379", "s3:26380"}), "sentinels %v", o.Addrs)
		}},
		{"redis+sentinel://app:s%40cret@s1:26379/mymaster/4?sentinel_password=sp&max_flush_delay=20us&key_prefix=k", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.Username == "app" && o.Password == "s@cret" && o.DB == 4 && o.SentinelPassword == "sp" &&
				o.MaxFlushDelay == 20*time.Microsecond && o.KeyPrefix == "k" && slices.Equal(o.Addrs, []string{"s1:26379"}), "%+v", o)
		}},
		{"rediss+sentinel://s1:26379/mymaster", func(t *testing.T, o runtime.Options) {
			urlWant(t, o.TLS != nil && o.TLS.ServerName == "" && o.SentinelMasterSet == "mymaster", "TLS %+v", o.TLS)
		}},
		{"unix:///var/run/redis.sock", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"/var/run/redis.sock"}) && o.TLS == nil && o.DB == 0, "%+v", o)
		}},
		{"unix://u:pw@/tmp/r.sock?db=3&key_prefix=x", func(t *testing.T, o runtime.Options) {
			urlWant(t, slices.Equal(o.Addrs, []string{"/tmp/r.sock"}) && o.Username == "u" && o.Password == "pw" && o.DB == 3 && o.KeyPrefix == "x",
				"%+v", o)
		}},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			o, err := runtime.ParseURL(c.url)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			c.check(t, o)
		})
	}
}

func urlWant(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

func TestParseURLTLSFiles(t *testing.T) {
	certs := redistest.MakeCerts(t, t.TempDir())
	q := url.Values{"tls_ca_file": {certs.CA}, "tls_cert_file": {certs.ClientCert}, "tls_key_file": {certs.ClientKey}}
	o, err := runtime.ParseURL("rediss://localhost:6380?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS == nil || o.TLS.RootCAs == nil || len(o.TLS.Certificates) != 1 || o.TLS.ServerName != "localhost" {
		t.Fatalf("TLS = %+v", o.TLS)
	}
	// The parsed options really connect to a TLS server that demands a client certificate.
	srv := redistest.Start(t, redistest.Config{TLS: true, RequireClientCert: true})
	q = url.Values{"tls_ca_file": {srv.Certs.CA}, "tls_cert_file": {srv.Certs.ClientCert}, "tls_key_file": {srv.Certs.ClientKey}}
	q.Set("key_prefix", "tls:")
	o, err = runtime.ParseURL("rediss://" + srv.Addr + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	cm, err := runtime.NewConnectionManager(o)
	if err != nil {
		t.Fatalf("connect with the parsed URL: %v", err)
	}
	defer cm.Close()
	s := runtime.NewSet[string](cm, "t.S", "k", strCodec{})
	if n, err := s.Add(ctxT(t), "a"); err != nil || n != 1 {
		t.Fatalf("Add over TLS = %d, %v", n, err)
	}
	if out, err := srv.CLI("SISMEMBER", "tls:k", "a"); err != nil || out != "1" {
		t.Fatalf("redis-cli SISMEMBER = %q, %v", out, err)
	}
}

func TestParseURLErrors(t *testing.T) {
	const pw = "Sup3rS3cretPw"
	bad := map[string]string{
		"http://u:" + pw + "@h:1":                              "scheme",
		"redis://u:" + pw + "@h:1/abc":                         "database",
		"redis://u:" + pw + "@h:1/-1":                          "database",
		"redis://u:" + pw + "@h:1?db=x":                        "db",
		"redis://u:" + pw + "@h:1?db=-3":                       "db",
		"redis://u:" + pw + "@h:1?bogus=1":                     `unknown option "bogus"`,
		"redis://u:" + pw + "@h:1?password=" + pw:              `unknown option "password"`,
		"redis://u:" + pw + "@h:1?max_connections=many":        "max_connections",
		"redis://u:" + pw + "@h:1?retry_base_delay=5":          "retry_base_delay",
		"redis://u:" + pw + "@h:1?breaker_timeout=soon":        "breaker_timeout",
		"redis://u:" + pw + "@h:1?disable_cache=perhaps":       "disable_cache",
		"redis://u:" + pw + "@h:1?linearizable_writes=maybe":   "linearizable_writes",
		"redis://u:" + pw + "@h:1?tls_ca_file=/x.pem":          "rediss",
		"redis://u:" + pw + "@h:1?tls_insecure_skip_verify=1":  "rediss",
		"rediss://u:" + pw + "@h:1?tls_ca_file=/nonexistent":   "CA file",
		"rediss://u:" + pw + "@h:1?tls_cert_file=/c.pem":       "key file",
		"rediss://u:" + pw + "@h:1?tls_insecure_skip_verify=x": "tls_insecure_skip_verify",
		"unix://u:" + pw + "@":                                 "socket path",
		"redis+sentinel://u:" + pw + "@s1:26379":               "master set",
		"redis+sentinel://u:" + pw + "@s1:26379/m/x":           "database",
		"redis+sentinel://u:" + pw + "@s1:26379/m/1/2":         "master set",
		"redis+sentinel://u:" + pw + "@s1,,s2/m":               "empty sentinel",
		"redis+sentinel://u:a/" + pw + "@s1/m":                 "percent-encoded",
		"redis+sentinel://u:" + pw + "@s1:/m":                  "host[:port]",
		"redis+sentinel://u:" + pw + "@s1/m?addr=s2:x":         "host[:port]",
		"redis://u:" + pw + "@h:1?sentinel_password=x":         "redis+sentinel",
		"redis://u:" + pw + "@h:1?max_flush_delay=soon":        "max_flush_delay",
		"redis://u:" + pw + "@h:port":                          "",
		"redis://u:" + pw + "@[::1":                            "",
		"redis://u:" + pw + "%zz@h:1":                          "",
		"redis://u:" + pw + "@h:1\x7f":                         "",
		"::" + pw:                                              "",
	}
	for u, want := range bad {
		_, err := runtime.ParseURL(u)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded", u)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, pw) || strings.Contains(msg, pw[:6]) {
			t.Errorf("ParseURL(%q) error shows the password: %s", u, msg)
		}
		if !strings.Contains(msg, want) {
			t.Errorf("ParseURL(%q) error %q does not mention %q", u, msg, want)
		}
		if !strings.HasPrefix(msg, "setgen: ") {
			t.Errorf("ParseURL(%q) error %q lacks the setgen: prefix", u, msg)
		}
	}
}

// FuzzParseURL: ParseURL never panics, and its errors never show the
// password of the URL.
func FuzzParseURL(f *testing.F) {
	f.Add("redis", "user", "s3cret-pass", "localhost:6379", "/1", "db=2&key_prefix=x")
	f.Add("rediss", "", "pw%zzpw", "[::1]:7000", "", "tls_server_name=n")
	f.Add("unix", "u", "password", "", "/tmp/r.sock", "db=1")
	f.Add("redis", "u", "p@ss:word/", "h:port", "/x", "bogus=1")
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, path, query string) {
		u := url.URL{Scheme: scheme, User: url.UserPassword(user, pass), Host: host, Path: path, RawQuery: query}
		raw := u.String()
		for _, in := range []string{raw, scheme + "://" + user + ":" + pass + "@" + host + path + "?" + query} {
			o, err := runtime.ParseURL(in)
			if err == nil {
				if len(o.Addrs) == 0 {
					t.Fatalf("ParseURL(%q) succeeded without an address", in)
				}
				continue
			}
			// Only a password that cannot be confused with other parts of the input counts.
			if len(pass) >= 6 && !strings.Contains(scheme+user+host+path+query, pass) &&
				!strings.Contains("setgen: parse URL: unknown option scheme is not redis, rediss or unix", pass) &&
				strings.Contains(err.Error(), pass) {
				t.Fatalf("ParseURL(%q) error shows the password: %v", in, err)
			}
		}
	})
}
