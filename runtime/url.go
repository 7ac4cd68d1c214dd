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
//	redis+sentinel://[user[:password]@]host1[:port],host2[:port]/master[/db][?...]
//	rediss+sentinel://...   the same over TLS
//
// A sentinel URL names the sentinels (default port 26379) and the master
// set they monitor (Options.SentinelMasterSet); user and password are the
// master's (the sentinels' may be given as sentinel_username and
// sentinel_password).
//
// Query options: addr (more cluster nodes or sentinels, repeatable), db,
// max_connections, retry_max_attempts, retry_base_delay, retry_max_delay,
// linearizable_writes, breaker_threshold, breaker_timeout, cache_ttl, disable_cache,
// key_prefix, call_timeout, dial_timeout, client_name, max_flush_delay,
// sentinel_username, sentinel_password, and for rediss://
// tls_ca_file, tls_cert_file, tls_key_file, tls_server_name,
// tls_insecure_skip_verify. Durations use Go syntax ("500ms", "5m").
// An unknown option is an error, so typos do not pass silently. Errors never
// contain the password.
func ParseURL(rawURL string) (Options, error) {
	var o Options
	sentinelHosts := ""
	if scheme, rest, ok := strings.Cut(rawURL, "://"); ok && (scheme == "redis+sentinel" || scheme == "rediss+sentinel") {
		// The host list is not one URL host: take it out before parsing.
		auth, hosts := "", rest
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			hosts = rest[:i]
		}
		if i := strings.LastIndex(hosts, "@"); i >= 0 {
			auth, hosts = hosts[:i+1], hosts[i+1:]
		}
		sentinelHosts = hosts
		rawURL = scheme + "://" + auth + "sentinels" + rest[len(auth)+len(hosts):]
	}
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
	tlsScheme := u.Scheme == "rediss" || u.Scheme == "rediss+sentinel"
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
	case "redis+sentinel", "rediss+sentinel":
		for _, h := range strings.Split(sentinelHosts, ",") {
			addr, err := sentinelAddr(h)
			if err != nil {
				return o, err
			}
			o.Addrs = append(o.Addrs, addr)
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if parts[0] == "" || len(parts) > 2 {
			return o, fmt.Errorf("setgen: parse URL: a sentinel URL names the master set: redis+sentinel://host:26379/mymaster[/db]")
		}
		o.SentinelMasterSet = parts[0]
		if len(parts) == 2 {
			db, err := strconv.Atoi(parts[1])
			if err != nil || db < 0 {
				return o, fmt.Errorf("setgen: parse URL: database %q is not a non-negative number", parts[1])
			}
			o.DB = db
		}
	case "unix":
		if u.Path == "" {
			return o, fmt.Errorf("setgen: parse URL: unix URL has no socket path")
		}
		o.Addrs = []string{u.Path}
	default:
		return o, fmt.Errorf("setgen: parse URL: scheme %q is not redis, rediss, redis+sentinel, rediss+sentinel or unix", u.Scheme)
	}
	for name, vals := range q {
		if len(vals) == 0 {
			continue
		}
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "addr":
			for _, a := range vals {
				if o.SentinelMasterSet != "" {
					if a, err = sentinelAddr(a); err != nil {
						return o, err
					}
				}
				o.Addrs = append(o.Addrs, a)
			}
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
		case "linearizable_writes":
			o.LinearizableWrites, err = strconv.ParseBool(v)
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
		case "max_flush_delay":
			o.MaxFlushDelay, err = time.ParseDuration(v)
		case "sentinel_username":
			o.SentinelUsername = v
		case "sentinel_password":
			o.SentinelPassword = v
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
		if strings.HasPrefix(name, "tls_") && !tlsScheme {
			return o, fmt.Errorf("setgen: parse URL: option %s needs the rediss:// scheme", name)
		}
		if strings.HasPrefix(name, "sentinel_") && o.SentinelMasterSet == "" {
			return o, fmt.Errorf("setgen: parse URL: option %s needs the redis+sentinel:// scheme", name)
		}
	}
	if tlsScheme {
		if tlsCA != "" || tlsCert != "" || tlsKey != "" {
			cfg, err := TLSConfigFromFiles(tlsCA, tlsCert, tlsKey, tlsName)
			if err != nil {
				return o, err
			}
			o.TLS = cfg
		} else {
			o.TLS = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: tlsName}
		}
		if o.TLS.ServerName == "" && o.SentinelMasterSet == "" {
			o.TLS.ServerName = u.Hostname() // with sentinels, each server's own name
		}
		o.TLS.InsecureSkipVerify = insecure
	}
	return o, nil
}

// sentinelAddr checks a sentinel's host[:port] and gives it the default
// port 26379. The error never repeats the input (it may be a password cut
// by a stray "/").
func sentinelAddr(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("setgen: parse URL: empty sentinel address")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = strings.Trim(h, "[]"), "26379"
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 || host == "" || strings.ContainsAny(host, "@/?#") {
		return "", fmt.Errorf("setgen: parse URL: a sentinel address is not host[:port] (a password holding / or @ must be percent-encoded)")
	}
	return net.JoinHostPort(host, port), nil
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
