package runtime

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseURL turns a Redis URL into Options.
//
//	redis://[user[:password]@]host[:port][/db][?option=value&...]
//	rediss://...            TLS, verifying the server against the system CAs
//	unix://[user[:password]@]/path/to/socket[?db=N&...]
//
// Query options: addr (more cluster nodes, repeatable), db,
// max_connections, retry_max_attempts, retry_base_delay, retry_max_delay,
// breaker_threshold, breaker_timeout, cache_ttl, disable_cache,
// key_prefix, call_timeout, dial_timeout, client_name, and for rediss://
// tls_ca_file, tls_cert_file, tls_key_file, tls_server_name,
// tls_insecure_skip_verify. Durations use Go syntax ("500ms", "5m").
// An unknown option is an error, so typos do not pass silently. Errors never
// contain the password.
func ParseURL(rawURL string) (Options, error) {
	var o Options
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the input, which may hold a password.
		return o, fmt.Errorf("setgen: parse URL: malformed URL (%s)", redactedCause(err))
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password() // redis://:password@host: password only
	}
	q := u.Query()
	var tlsCA, tlsCert, tlsKey, tlsName string
	var insecure bool
	switch u.Scheme {
	case "redis", "rediss":
		host := u.Hostname()
		if host == "" {
			host = "127.0.0.1"
		}
		port := u.Port()
		if port == "" {
			port = "6379"
		}
		o.Addrs = []string{net.JoinHostPort(host, port)}
		if p := strings.Trim(u.Path, "/"); p != "" {
			db, err := strconv.Atoi(p)
			if err != nil || db < 0 {
				return o, fmt.Errorf("setgen: parse URL: database %q is not a non-negative number", p)
			}
			o.DB = db
		}
	case "unix":
		if u.Path == "" {
			return o, fmt.Errorf("setgen: parse URL: unix URL has no socket path")
		}
		o.Addrs = []string{u.Path}
	default:
		return o, fmt.Errorf("setgen: parse URL: scheme %q is not redis, rediss or unix", u.Scheme)
	}
	for name, vals := range q {
		if len(vals) == 0 {
			continue
		}
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "addr":
			o.Addrs = append(o.Addrs, vals...)
		case "db":
			o.DB, err = strconv.Atoi(v)
			if err == nil && o.DB < 0 {
				err = fmt.Errorf("negative")
			}
		case "max_connections":
			o.MaxConnections, err = strconv.Atoi(v)
		case "retry_max_attempts":
			o.RetryMaxAttempts, err = strconv.Atoi(v)
		case "retry_base_delay":
			o.RetryBaseDelay, err = time.ParseDuration(v)
		case "retry_max_delay":
			o.RetryMaxDelay, err = time.ParseDuration(v)
		case "breaker_threshold":
			o.BreakerThreshold, err = strconv.Atoi(v)
		case "breaker_timeout":
			o.BreakerTimeout, err = time.ParseDuration(v)
		case "cache_ttl":
			o.CacheTTL, err = time.ParseDuration(v)
		case "disable_cache":
			o.DisableCache, err = strconv.ParseBool(v)
		case "key_prefix":
			o.KeyPrefix = v
		case "call_timeout":
			o.CallTimeout, err = time.ParseDuration(v)
		case "dial_timeout":
			o.DialTimeout, err = time.ParseDuration(v)
		case "client_name":
			o.ClientName = v
		case "tls_ca_file":
			tlsCA = v
		case "tls_cert_file":
			tlsCert = v
		case "tls_key_file":
			tlsKey = v
		case "tls_server_name":
			tlsName = v
		case "tls_insecure_skip_verify":
			insecure, err = strconv.ParseBool(v)
		default:
			return o, fmt.Errorf("setgen: parse URL: unknown option %q", name)
		}
		if err != nil {
			return o, fmt.Errorf("setgen: parse URL: option %s=%q: %s", name, v, redactedCause(err))
		}
		if strings.HasPrefix(name, "tls_") && u.Scheme != "rediss" {
			return o, fmt.Errorf("setgen: parse URL: option %s needs the rediss:// scheme", name)
		}
	}
	if u.Scheme == "rediss" {
		if tlsCA != "" || tlsCert != "" || tlsKey != "" {
			cfg, err := TLSConfigFromFiles(tlsCA, tlsCert, tlsKey, tlsName)
			if err != nil {
				return o, err
			}
			o.TLS = cfg
		} else {
			o.TLS = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: tlsName}
		}
		if o.TLS.ServerName == "" {
			o.TLS.ServerName = u.Hostname()
		}
		o.TLS.InsecureSkipVerify = insecure
	}
	return o, nil
}

// redactedCause keeps the innermost message of URL and number parsing errors
// without the input they quote.
func redactedCause(err error) string {
	switch e := err.(type) {
	case *url.Error:
		return redactedCause(e.Err)
	case *strconv.NumError:
		return e.Err.Error()
	}
	return err.Error()
}
