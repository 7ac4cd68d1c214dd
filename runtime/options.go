package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Defaults applied by NewConnectionManager to zero-valued Options fields.
const (
	DefaultAddr             = "127.0.0.1:6379"
	DefaultSentinelAddr     = "127.0.0.1:26379" // with Options.SentinelMasterSet
	DefaultRetryMaxAttempts = 3
	DefaultRetryBaseDelay   = 25 * time.Millisecond
	DefaultRetryMaxDelay    = 1 * time.Second
	DefaultBreakerThreshold = 5
	DefaultBreakerTimeout   = 60 * time.Second
	DefaultCacheTTL         = 60 * time.Second
	DefaultMaxConnections   = 16
	DefaultCallTimeout      = 5 * time.Second
	DefaultDialTimeout      = 2 * time.Second
	DefaultMaxFlushDelay    = 20 * time.Microsecond
)

// Options configures a ConnectionManager. The zero value connects to
// 127.0.0.1:6379 with the defaults listed on each field.
type Options struct {
	// Addrs are the server's addresses ("host:port", or a unix socket
	// path starting with "/"). Default ["127.0.0.1:6379"]. When the server
	// is a Redis Cluster node, the cluster is detected and used.
	Addrs []string
	// Username and Password authenticate with AUTH (Redis 6 ACL when
	// Username is set). They never appear in errors, logs or Health.
	Username, Password string
	// DB is the database number selected on every connection (not with a cluster).
	DB int
	// TLS, when not nil, makes every connection use TLS with this config.
	TLS *tls.Config
	// MaxConnections bounds rueidis' pool of dedicated connections per
	// node (default 16), which it uses for blocking commands and pipelines
	// of 2,000+ commands. setgen's own calls never need it: every call,
	// however concurrent, is auto-pipelined over one connection per node,
	// which also holds the client-side cache, so read-your-writes holds.
	// (The max_connections option of other Redis libraries maps here; one
	// pipelined connection per node outperforms a pool of them.)
	MaxConnections int
	// RetryMaxAttempts is the number of attempts for a call whose retry is
	// safe (default 3; 1 disables retries).
	RetryMaxAttempts int
	// RetryBaseDelay and RetryMaxDelay bound the exponential backoff with
	// full jitter between attempts (defaults 25ms and 1s).
	RetryBaseDelay, RetryMaxDelay time.Duration
	// LinearizableWrites stops the retry of a write whose reply was lost
	// after it was sent (a reset or a timeout mid-call, a server killed
	// while it ran): the call fails with an error wrapping
	// ErrOutcomeUnknown, and the write may or may not have been applied.
	//
	// By default such a write is sent again. Add, Remove, Clear, Expire,
	// the stores and the TTL writes give the same result when repeated, so
	// the blip is hidden and the write is applied at least once. But when
	// several clients change the same member, a write applied twice can
	// undo another client's write made between the two (a Remove repeated
	// after another client's Add removes the member again), and the history
	// of the set is then not linearizable. Set LinearizableWrites when
	// clients race on the same members and every acknowledged write must
	// stay in effect until the next one.
	//
	// Either way, a write that certainly did not run is retried: the
	// connection could not be made, or the server refused it (LOADING,
	// BUSY, TRYAGAIN, CLUSTERDOWN, READONLY, MASTERDOWN), unless other
	// commands of its pipeline ran (a large Add's first batches before a
	// failover): then it too fails with ErrOutcomeUnknown. Reads are always
	// retried; Pop and Move are never sent twice. TTLSet.Purge is retried
	// either way: it removes only expired members, which no read shows, so
	// a repeat undoes nothing; its count then leaves out what a lost
	// attempt removed.
	LinearizableWrites bool
	// BreakerThreshold is the number of consecutive failed calls that opens
	// the circuit breaker (default 5).
	BreakerThreshold int
	// BreakerTimeout is how long the breaker stays open before one probe
	// call is let through (default 60s).
	BreakerTimeout time.Duration
	// CacheTTL is the client-side cache TTL for Contains and ContainsMany
	// (default 60s). The server's invalidations keep the cache correct
	// well before it expires.
	CacheTTL time.Duration
	// DisableCache turns client-side caching off. It is also turned off
	// automatically when the server cannot track keys (RESP2 or no CLIENT
	// TRACKING).
	DisableCache bool
	// KeyPrefix is prepended to every key, e.g. "app:".
	KeyPrefix string
	// Logger receives breaker transitions, retries and fallbacks. Nil: silent.
	Logger *slog.Logger

	// CallTimeout bounds each attempt of a call (default 5s), whatever the
	// context's deadline, so that no call hangs forever on a hung or
	// vanished server; an attempt that must reconnect first may also spend
	// up to DialTimeout. Without a deadline, a call returns within
	// RetryMaxAttempts × (DialTimeout + CallTimeout) plus the backoff
	// between attempts: under 22s with the defaults, about 15s when the
	// server hangs on an open connection (5s for Pop and Move, not retried
	// once sent). The error wraps context.DeadlineExceeded and names
	// CallTimeout.
	CallTimeout time.Duration
	// DialTimeout bounds connection establishment, handshake included
	// (default 2s).
	DialTimeout time.Duration
	// ForceSingleNode treats Addrs[0] as one standalone server even when it
	// answers cluster commands (needed for some test servers, e.g. miniredis).
	ForceSingleNode bool
	// ClientName is sent with CLIENT SETNAME (optional).
	ClientName string
	// SentinelMasterSet, when set, names the master set that Redis
	// Sentinel monitors, and Addrs are then the sentinels' addresses
	// (default port 26379). The manager connects to the master the
	// sentinels name, follows failovers (the sentinels' +switch-master
	// events, and a check every second), and reaches the new master with
	// no restart; cached reads stay correct, since the cache lives on the
	// connection that is replaced. Username, Password and TLS apply to the
	// master; SentinelUsername and SentinelPassword to the sentinels.
	// Replication is asynchronous: writes the old master acknowledged but
	// had not yet sent to its replica when it failed are lost.
	SentinelMasterSet string
	// SentinelUsername and SentinelPassword authenticate with the
	// sentinels (optional).
	SentinelUsername, SentinelPassword string
	// MaxFlushDelay lets the auto-pipelining writer wait up to this long
	// for more commands to gather into one write (rueidis' MaxFlushDelay;
	// default 20µs, negative: write at once). Measured on 2 vCPUs with 32
	// concurrent callers, 20µs gave 39% more throughput for 57% less
	// server CPU per call, and no measurable cost to a single caller's
	// latency (BENCHMARKS.md).
	MaxFlushDelay time.Duration
	// TracerProvider, when set, gives each set call a span named
	// <pkg>.<Type>.<Method> (e.g. users.UserSet.Add), with db.system.name
	// "redis", the Redis command as db.operation.name and, for cached
	// reads, setgen.cache_hit. Nil: no spans, at no cost.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, records setgen.calls (attributes method
	// and outcome), setgen.call.duration (seconds), setgen.cache.hits,
	// setgen.cache.misses, setgen.retries and the gauge
	// setgen.breaker.state (0 closed, 1 half-open, 2 open; attribute node
	// for a cluster node's breaker). Nil: no metrics, at no cost.
	MeterProvider metric.MeterProvider
}

// logger returns Logger, or a logger that discards everything.
func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o Options) withDefaults() Options {
	if len(o.Addrs) == 0 {
		o.Addrs = []string{DefaultAddr}
		if o.SentinelMasterSet != "" {
			o.Addrs = []string{DefaultSentinelAddr}
		}
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.RetryMaxAttempts <= 0 {
		o.RetryMaxAttempts = DefaultRetryMaxAttempts
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay <= 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if o.RetryMaxDelay < o.RetryBaseDelay {
		o.RetryMaxDelay = o.RetryBaseDelay
	}
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = DefaultBreakerThreshold
	}
	if o.BreakerTimeout <= 0 {
		o.BreakerTimeout = DefaultBreakerTimeout
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MaxFlushDelay == 0 {
		o.MaxFlushDelay = DefaultMaxFlushDelay
	}
	return o
}

func (o Options) validate() error {
	for _, a := range o.Addrs {
		if a == "" {
			return invalidArg("empty address in Options.Addrs")
		}
	}
	if o.DB < 0 {
		return invalidArg("Options.DB is negative (%d)", o.DB)
	}
	if o.SentinelMasterSet != "" {
		if o.ForceSingleNode {
			return invalidArg("Options.SentinelMasterSet and ForceSingleNode exclude each other")
		}
		for _, a := range o.Addrs {
			if strings.HasPrefix(a, "/") {
				return invalidArg("Options.SentinelMasterSet needs sentinels' host:port addresses, not the socket %s", a)
			}
		}
	}
	return nil
}

// redactedOptions has Options' fields and none of its methods, so that
// formatting it does not recurse into String.
type redactedOptions Options

func (o Options) redacted() redactedOptions {
	if o.Password != "" {
		o.Password = "[redacted]"
	}
	if o.SentinelPassword != "" {
		o.SentinelPassword = "[redacted]"
	}
	return redactedOptions(o)
}

// String formats the options with the password redacted, so that logging
// them (%v, %+v, %s) never shows it.
func (o Options) String() string { return fmt.Sprintf("%+v", o.redacted()) }

// GoString is String for %#v.
func (o Options) GoString() string { return fmt.Sprintf("%#v", o.redacted()) }

// LogValue makes slog log the options with the password redacted.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// TLSConfigFromFiles builds a *tls.Config for Options.TLS: caFile (PEM) is
// the set of trusted server CAs (empty: the system pool), and certFile with
// keyFile, when both are set, is the client certificate presented to a server
// that demands one. serverName overrides the name checked in the server's
// certificate (empty: the host dialled).
func TLSConfigFromFiles(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("setgen: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("setgen: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("setgen: client certificate needs both a cert file and a key file")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("setgen: load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
