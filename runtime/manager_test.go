package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/redis/rueidis/mock"
	"github.com/setgen/setgen/internal/redistest"
	"go.uber.org/mock/gomock"
)

func TestClientOptionMapping(t *testing.T) {
	tlsCfg := &tls.Config{ServerName: "redis.example"}
	o := Options{
		Addrs:          []string{"10.0.0.1:6379", "10.0.0.2:6379"},
		Username:       "app",
		Password:       "pw",
		DB:             3,
		TLS:            tlsCfg,
		MaxConnections: 7,
		CallTimeout:    1234 * time.Millisecond,
		DialTimeout:    321 * time.Millisecond,
		ClientName:     "svc",
	}.withDefaults()
	for _, cache := range []bool{true, false} {
		co := clientOption(o, cache)
		if !slices.Equal(co.InitAddress, o.Addrs) {
			t.Errorf("InitAddress = %v", co.InitAddress)
		}
		co.InitAddress[0] = "changed"
		if o.Addrs[0] != "10.0.0.1:6379" {
			t.Error("InitAddress aliases Options.Addrs")
		}
		if co.Username != "app" || co.Password != "pw" || co.SelectDB != 3 || co.ClientName != "svc" {
			t.Errorf("credentials/db/name: %q %q %d %q", co.Username, co.Password, co.SelectDB, co.ClientName)
		}
		if co.TLSConfig != tlsCfg {
			t.Error("TLSConfig not passed through")
		}
		if co.PipelineMultiplex != -1 {
			t.Errorf("PipelineMultiplex = %d, want -1 (one pipelined connection per node)", co.PipelineMultiplex)
		}
		if !co.DisableRetry {
			t.Error("DisableRetry is off: rueidis would retry SPOP/SMOVE behind our back")
		}
		if co.BlockingPoolSize != 7 {
			t.Errorf("BlockingPoolSize = %d, want MaxConnections 7", co.BlockingPoolSize)
		}
		if co.ConnWriteTimeout != 1234*time.Millisecond {
			t.Errorf("ConnWriteTimeout = %v, want CallTimeout", co.ConnWriteTimeout)
		}
		if co.Dialer.Timeout != 321*time.Millisecond {
			t.Errorf("Dialer.Timeout = %v, want DialTimeout", co.Dialer.Timeout)
		}
		if co.DisableCache != !cache {
			t.Errorf("cache %v: DisableCache = %v", cache, co.DisableCache)
		}
		if co.ForceSingleClient || co.DialCtxFn != nil {
			t.Error("TCP addresses: ForceSingleClient or DialCtxFn set")
		}
	}
	o.ForceSingleNode = true
	if !clientOption(o, true).ForceSingleClient {
		t.Error("ForceSingleNode not mapped to ForceSingleClient")
	}
	if co := clientOption(Options{}.withDefaults(), true); co.Password != "" || co.TLSConfig != nil || co.BlockingPoolSize != DefaultMaxConnections || co.ConnWriteTimeout != DefaultCallTimeout {
		t.Errorf("defaults: %+v", co)
	}
}

func TestClientOptionUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	co := clientOption(Options{Addrs: []string{sock}}.withDefaults(), true)
	if !co.ForceSingleClient {
		t.Error("unix socket: ForceSingleClient off (cluster discovery would be attempted)")
	}
	if co.DialCtxFn == nil {
		t.Fatal("unix socket: no DialCtxFn")
	}
	ctx := ctxFor(t)
	c, err := co.DialCtxFn(ctx, sock, &net.Dialer{Timeout: time.Second}, nil)
	if err != nil {
		t.Fatalf("dial unix socket: %v", err)
	}
	if c.RemoteAddr().Network() != "unix" {
		t.Errorf("dialled %s, want unix", c.RemoteAddr().Network())
	}
	c.Close()
	(<-accepted).Close()
	c, err = co.DialCtxFn(ctx, sock, &net.Dialer{Timeout: time.Second}, &tls.Config{ServerName: "x"})
	if err != nil {
		t.Fatalf("dial unix socket with TLS: %v", err)
	}
	if _, ok := c.(*tls.Conn); !ok {
		t.Errorf("with a TLS config the connection is %T, want *tls.Conn", c)
	}
	c.Close()
	(<-accepted).Close()
	if _, err := co.DialCtxFn(ctx, filepath.Join(t.TempDir(), "none.sock"), &net.Dialer{}, nil); err == nil {
		t.Error("dialling a missing socket succeeded")
	}
}

func TestUnixSocketServer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "redis.sock")
	srv := redistest.Start(t, redistest.Config{Args: []string{"--unixsocket", sock, "--unixsocketperm", "700"}})
	cm, err := NewConnectionManager(Options{Addrs: []string{sock}, DB: 2})
	if err != nil {
		t.Fatalf("NewConnectionManager over %s: %v", sock, err)
	}
	defer cm.Close()
	ctx := ctxFor(t)
	s := NewSet[string](cm, "test.S", "u", rawCodec{})
	if n, err := s.Add(ctx, "a", "b"); err != nil || n != 2 {
		t.Fatalf("Add over a unix socket = %d, %v", n, err)
	}
	if ok, err := s.Contains(ctx, "b"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	out, err := srv.CLI("-n", "2", "SCARD", "u")
	if err != nil || out != "2" {
		t.Fatalf("redis-cli -n 2 SCARD u = %q, %v", out, err)
	}
	if h := cm.Health(ctx); h.Status != StatusHealthy {
		t.Fatalf("Health over a unix socket: %+v", h)
	}
}

func TestNewConnectionManagerErrors(t *testing.T) {
	for _, o := range []Options{
		{Addrs: []string{""}},
		{Addrs: []string{"127.0.0.1:1", ""}},
		{DB: -1},
	} {
		cm, err := NewConnectionManager(o)
		if !errors.Is(err, ErrInvalidArgument) || cm != nil {
			t.Errorf("NewConnectionManager(%+v) = %v, %v; want ErrInvalidArgument", o, cm, err)
		}
	}
	// Nobody listens: a quick error naming the address, never the password.
	port := strconv.Itoa(redistest.FreePort(t))
	start := time.Now()
	cm, err := NewConnectionManager(Options{Addrs: []string{"127.0.0.1:" + port}, Password: "hunter2-secret", DialTimeout: time.Second})
	if err == nil {
		cm.Close()
		t.Fatal("NewConnectionManager with no server succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing to connect took %v", d)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:"+port) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %q: want the address and no password", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error does not wrap ECONNREFUSED: %v", err)
	}
}

func TestNewManagerAccessors(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mock.NewClient(ctrl)
	client.EXPECT().Mode().Return(rueidis.ClientModeCluster).AnyTimes()
	o := Options{KeyPrefix: "app:", Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	cm := newManager(o, client, true)
	if !cm.IsCluster() || !cm.CacheEnabled() || cm.Client() != client {
		t.Errorf("accessors: cluster %v cache %v", cm.IsCluster(), cm.CacheEnabled())
	}
	if got := cm.Options(); got.KeyPrefix != "app:" || got.RetryMaxAttempts != DefaultRetryMaxAttempts {
		t.Errorf("Options() = %+v", got)
	}
	if s := NewSet[string](cm, "x.S", "k", rawCodec{}); s.Key() != "app:k" || s.Manager() != cm {
		t.Errorf("Key = %q", s.Key())
	}
	client2 := mock.NewClient(ctrl)
	client2.EXPECT().Mode().Return(rueidis.ClientModeStandalone).AnyTimes()
	if cm2 := newManager(o, client2, false); cm2.IsCluster() || cm2.CacheEnabled() {
		t.Error("standalone manager reports cluster or cache")
	}
}

func TestOpErrorFormatAndWrapping(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.KeyPrefix = "app:" })
	s := NewSet[string](cm, "users.UserSet", "users", rawCodec{})
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "app:users", "u1")).Return([]rueidis.RedisResult{mock.ErrorResult(errRead)})
	_, err := s.Add(context.Background(), "u1")
	want := "users.UserSet(app:users).Add: " + errRead.Error()
	if err == nil || err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	var oe *OpError
	if !errors.As(err, &oe) || oe.Set != "users.UserSet" || oe.Key != "app:users" || oe.Op != "Add" {
		t.Fatalf("OpError = %#v", oe)
	}
	var ne *net.OpError
	if !errors.As(err, &ne) || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal("cause not reachable with errors.As/Is")
	}
	if errors.Is(err, ErrCircuitOpen) || errors.Is(err, ErrDecode) || errors.Is(err, ErrInvalidArgument) {
		t.Fatal("error matches an unrelated sentinel")
	}
	// Every method names itself.
	client.EXPECT().Do(gomock.Any(), gomock.Any()).Return(mock.ErrorResult(io.EOF)).AnyTimes()
	client.EXPECT().DoMulti(gomock.Any(), gomock.Any()).Return([]rueidis.RedisResult{mock.ErrorResult(io.EOF)}).AnyTimes()
	ctx := context.Background()
	other := NewSet[string](cm, "users.UserSet", "other", rawCodec{})
	checks := map[string]func() error{
		"Remove":        func() error { _, err := s.Remove(ctx, "a"); return err },
		"Contains":      func() error { _, err := s.Contains(ctx, "a"); return err },
		"ContainsMany":  func() error { _, err := s.ContainsMany(ctx, "a"); return err },
		"Members":       func() error { _, err := s.Members(ctx); return err },
		"Size":          func() error { _, err := s.Size(ctx); return err },
		"Clear":         func() error { return s.Clear(ctx) },
		"Union":         func() error { _, err := s.Union(ctx, other); return err },
		"Intersect":     func() error { _, err := s.Intersect(ctx, other); return err },
		"Diff":          func() error { _, err := s.Diff(ctx, other); return err },
		"UnionStore":    func() error { _, err := s.UnionStore(ctx, other); return err },
		"IntersectSize": func() error { _, err := s.IntersectSize(ctx, 0, other); return err },
		"Pop":           func() error { _, err := s.Pop(ctx, 1); return err },
		"Random":        func() error { _, err := s.Random(ctx, 1); return err },
		"Move":          func() error { _, err := s.Move(ctx, other, "a"); return err },
		"Expire":        func() error { _, err := s.Expire(ctx, time.Second); return err },
		"TTL":           func() error { _, err := s.TTL(ctx); return err },
		"All": func() error {
			for _, err := range s.All(ctx) {
				return err
			}
			return nil
		},
	}
	for op, f := range checks {
		cm.breaker = newBreaker(cm.opts, cm.log) // keep it closed
		err := f()
		if err == nil || !strings.HasPrefix(err.Error(), "users.UserSet(app:users)."+op+": ") || !errors.Is(err, io.EOF) {
			t.Errorf("%s: err = %v", op, err)
		}
	}
}

func TestDecodeErrorFormat(t *testing.T) {
	long := strings.Repeat("x", 100)
	e := newDecodeError("app:k", long, errors.New("bad"))
	if len(e.Member) != maxShownBytes {
		t.Errorf("Member has %d bytes, want it truncated to %d", len(e.Member), maxShownBytes)
	}
	if !errors.Is(e, ErrDecode) || !strings.Contains(e.Error(), `key "app:k"`) || !strings.Contains(e.Error(), "bad") {
		t.Errorf("DecodeError = %v", e)
	}
	e = newDecodeError("k", "\x00\xff", errors.New("bad"))
	if !strings.Contains(e.Error(), `"\x00\xff"`) {
		t.Errorf("bytes not shown quoted: %v", e)
	}
	var errs []error
	for i := range 8 {
		errs = append(errs, newDecodeError("k", strconv.Itoa(i), errors.New("bad")))
	}
	joined := joinDecodeErrors(errs)
	if !errors.Is(joined, ErrDecode) || !strings.Contains(joined.Error(), "and 3 more") || strings.Contains(joined.Error(), `member "5"`) {
		t.Errorf("joined = %v", joined)
	}
	if joinDecodeErrors(nil) != nil {
		t.Error("no errors joined into one")
	}
}

// The client-side cache path: writes are fenced with EXISTS on the key in
// the same pipeline, reads go through DoCache with Options.CacheTTL.
func TestCachedPathCommands(t *testing.T) {
	cm, client := mockManager(t, true, func(o *Options) { o.CacheTTL = 42 * time.Second; o.RetryMaxAttempts = 2 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()
	ok := func(v int64) rueidis.RedisResult { return mock.Result(mock.RedisInt64(v)) }

	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "k", "a", "b"), mock.Match("EXISTS", "k")).
		Return([]rueidis.RedisResult{ok(2), ok(1)})
	if n, err := s.Add(ctx, "a", "b"); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	client.EXPECT().DoCache(gomock.Any(), mock.Match("SISMEMBER", "k", "a"), 42*time.Second).Return(ok(1))
	if found, err := s.Contains(ctx, "a"); err != nil || !found {
		t.Fatalf("Contains = %v, %v", found, err)
	}
	// One cache entry per member, so that any subset hits later.
	client.EXPECT().DoMultiCache(gomock.Any(), mock.Match("SISMEMBER", "k", "a"), mock.Match("SISMEMBER", "k", "z")).
		DoAndReturn(func(_ context.Context, cmds ...rueidis.CacheableTTL) []rueidis.RedisResult {
			for _, c := range cmds {
				if c.TTL != 42*time.Second {
					t.Errorf("ContainsMany TTL = %v", c.TTL)
				}
			}
			return []rueidis.RedisResult{ok(1), ok(0)}
		})
	if got, err := s.ContainsMany(ctx, "a", "z"); err != nil || !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("ContainsMany = %v, %v", got, err)
	}
	if cm.misses.Load() != 3 || cm.hits.Load() != 0 {
		t.Errorf("cache stats: %d hits %d misses, want 0 and 3", cm.hits.Load(), cm.misses.Load())
	}
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("UNLINK", "k"), mock.Match("EXISTS", "k")).Return([]rueidis.RedisResult{ok(1), ok(0)})
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SPOP", "k", "1"), mock.Match("EXISTS", "k")).
		Return([]rueidis.RedisResult{mock.Result(mock.RedisArray(mock.RedisBlobString("a"))), ok(1)})
	if got, err := s.Pop(ctx, 1); err != nil || !slices.Equal(got, []string{"a"}) {
		t.Fatalf("Pop = %v, %v", got, err)
	}
	// A failed fence fails the write (it may not be visible to cached reads),
	// and is retried like the write.
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SREM", "k", "a"), mock.Match("EXISTS", "k")).
		Return([]rueidis.RedisResult{ok(1), mock.ErrorResult(errRead)}).Times(2)
	if _, err := s.Remove(ctx, "a"); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("Remove with failed fence: %v", err)
	}
	// A failed command inside the pipeline fails the call.
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SREM", "k", "a"), mock.Match("EXISTS", "k")).
		Return([]rueidis.RedisResult{mock.Result(mock.RedisError(wrongType)), ok(1)})
	if _, err := s.Remove(ctx, "a"); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("Remove with WRONGTYPE: %v", err)
	}
}

// Inputs are split into batches of batchSize members per command. Up to
// overlapChunk members go in one pipeline with the fence; larger inputs go
// in chunks of overlapChunk, each its own pipeline (several in flight
// while the next chunk is encoded), and one fence after all of them.
func TestBatching(t *testing.T) {
	for _, cache := range []bool{false, true} {
		for _, n := range []int{overlapChunk, 3*overlapChunk + 17} {
			t.Run(fmt.Sprintf("cache=%v/n=%d", cache, n), func(t *testing.T) {
				cm, client := mockManager(t, cache, nil)
				s := NewSet[string](cm, "test.S", "k", rawCodec{})
				members := make([]string, n)
				for i := range members {
					members[i] = strconv.Itoa(i)
				}
				large := n > overlapChunk
				var (
					mu        sync.Mutex
					seen      []string
					pipelines int
				)
				wantPipelines := (n + overlapChunk - 1) / overlapChunk
				client.EXPECT().DoMulti(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
					mu.Lock()
					defer mu.Unlock()
					pipelines++
					out := make([]rueidis.RedisResult, len(cmds))
					for i, c := range cmds {
						args := c.Commands()
						if cache && !large && i == len(cmds)-1 {
							if !slices.Equal(args, []string{"EXISTS", "k"}) {
								t.Errorf("last command %v, want the EXISTS fence", args)
							}
							out[i] = mock.Result(mock.RedisInt64(1))
							continue
						}
						if args[0] != "SADD" || args[1] != "k" || len(args)-2 > batchSize {
							t.Errorf("command %v... with %d members", args[:2], len(args)-2)
						}
						seen = append(seen, args[2:]...)
						out[i] = mock.Result(mock.RedisInt64(int64(len(args) - 2)))
					}
					if len(cmds) > pipelineSize+1 {
						t.Errorf("pipeline of %d commands", len(cmds))
					}
					return out
				}).Times(wantPipelines)
				if cache && large {
					client.EXPECT().Do(gomock.Any(), mock.Match("EXISTS", "k")).Return(mock.Result(mock.RedisInt64(1)))
				}
				got, err := s.Add(context.Background(), members...)
				if err != nil || got != int64(n) {
					t.Fatalf("Add = %d, %v", got, err)
				}
				slices.SortFunc(seen, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
				if pipelines != wantPipelines || !slices.Equal(seen, members) {
					t.Fatalf("%d pipelines, want %d; every member sent once: %v", pipelines, wantPipelines, slices.Equal(seen, members))
				}
			})
		}
	}
}

// A write of several batches in one pipeline that fails is partial too;
// one of a single batch is not.
func TestPartialSmall(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 1 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	client.EXPECT().DoMulti(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
		out := make([]rueidis.RedisResult, len(cmds))
		for i := range cmds {
			out[i] = mock.Result(mock.RedisInt64(int64(batchSize)))
		}
		out[len(out)-1] = mock.ErrorResult(context.Canceled)
		return out
	}).Times(2)
	members := make([]string, 3*batchSize)
	for i := range members {
		members[i] = strconv.Itoa(i)
	}
	if _, err := s.Add(context.Background(), members...); !errors.Is(err, ErrPartial) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Add of 3 batches = %v; want ErrPartial and the cause", err)
	}
	if _, err := s.Add(context.Background(), members[:10]...); errors.Is(err, ErrPartial) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Add of one batch = %v; want the cause without ErrPartial", err)
	}
}

// A chunk that fails stops Add: the members of the chunks acknowledged are
// counted, the error returned, and nothing waits forever.
func TestBatchingFailure(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 1 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	members := make([]string, 3*overlapChunk)
	for i := range members {
		members[i] = strconv.Itoa(i)
	}
	var calls atomic.Int32
	client.EXPECT().DoMulti(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
		out := make([]rueidis.RedisResult, len(cmds))
		fail := calls.Add(1) == 2
		for i, c := range cmds {
			if fail {
				out[i] = mock.ErrorResult(errRead)
			} else {
				out[i] = mock.Result(mock.RedisInt64(int64(len(c.Commands()) - 2)))
			}
		}
		return out
	}).MinTimes(2).MaxTimes(3)
	got, err := s.Add(context.Background(), members...)
	if !errors.Is(err, errRead) || !errors.Is(err, ErrPartial) || got%int64(overlapChunk) != 0 || got >= int64(len(members)) {
		t.Fatalf("Add = %d, %v; want the acknowledged chunks and an error wrapping ErrPartial and the cause", got, err)
	}
}

// TestServerOf: Health names the server's software from INFO, Valkey's
// own version rather than the Redis version it reports for compatibility.
func TestServerOf(t *testing.T) {
	for _, c := range []struct {
		info          map[string]string
		name, version string
	}{
		{map[string]string{"redis_version": "7.0.15"}, "redis", "7.0.15"},
		{map[string]string{"redis_version": "7.2.4", "server_name": "valkey", "valkey_version": "8.0.1"}, "valkey", "8.0.1"},
		{map[string]string{"redis_version": "7.2.4", "server_name": "keydb"}, "keydb", "7.2.4"},
	} {
		if name, version := serverOf(c.info); name != c.name || version != c.version {
			t.Errorf("serverOf(%v) = %s %s, want %s %s", c.info, name, version, c.name, c.version)
		}
	}
}

func TestHealthWithMockNodes(t *testing.T) {
	const info = "# Server\r\nredis_version:7.0.15\r\n\r\n# Clients\r\nconnected_clients:3\r\n# Memory\r\nused_memory:123456\r\n# Replication\r\nrole:master\r\n"
	cm, client := mockManager(t, true, func(o *Options) { o.Password = "s3cret-pass"; o.BreakerThreshold = 1; o.MaxConnections = 9 })
	ctrl := gomock.NewController(t)
	node := mock.NewClient(ctrl)
	client.EXPECT().Nodes().Return(map[string]rueidis.Client{"10.0.0.1:6379": node}).AnyTimes()
	node.EXPECT().DoMulti(gomock.Any(), mock.Match("PING"), mock.Match("INFO")).
		Return([]rueidis.RedisResult{mock.Result(mock.RedisString("PONG")), mock.Result(mock.RedisBlobString(info))}).Times(2)
	ctx := context.Background()
	h := cm.Health(ctx)
	if h.Status != StatusHealthy || h.Error != "" || h.Mode != "single" {
		t.Fatalf("Health = %+v", h)
	}
	if h.Server.Name != "redis" || h.Server.Version != "7.0.15" || h.Server.ConnectedClients != 3 || h.Server.UsedMemory != 123456 {
		t.Errorf("Server = %+v", h.Server)
	}
	if len(h.Nodes) != 1 || h.Nodes[0].Addr != "10.0.0.1:6379" || h.Nodes[0].Role != "master" {
		t.Errorf("Nodes = %+v", h.Nodes)
	}
	if h.CircuitBreaker != (BreakerHealth{State: "closed", Threshold: 1, TimeoutS: 3600}) {
		t.Errorf("CircuitBreaker = %+v", h.CircuitBreaker)
	}
	if h.ConnectionPool != (PoolHealth{Nodes: 1, PipelineConnections: 1, MaxConnections: 9}) {
		t.Errorf("ConnectionPool = %+v", h.ConnectionPool)
	}
	if !h.Cache.Enabled || h.Cache.TTLS != 60 {
		t.Errorf("Cache = %+v", h.Cache)
	}
	// Open the breaker: the server answers, so degraded.
	client.EXPECT().Do(gomock.Any(), gomock.Any()).Return(mock.ErrorResult(errRead))
	_, _ = NewSet[string](cm, "t.S", "k", rawCodec{}).Size(ctx)
	h = cm.Health(ctx)
	if h.Status != StatusDegraded || h.CircuitBreaker.State != "open" || !strings.Contains(h.Error, "open") {
		t.Fatalf("Health with open breaker = %+v", h)
	}

	// A node error quoting the password is redacted.
	cm2, client2 := mockManager(t, false, func(o *Options) { o.Password = "s3cret-pass" })
	node2 := mock.NewClient(ctrl)
	client2.EXPECT().Nodes().Return(map[string]rueidis.Client{"n:1": node2}).AnyTimes()
	node2.EXPECT().DoMulti(gomock.Any(), gomock.Any(), gomock.Any()).
		Return([]rueidis.RedisResult{mock.ErrorResult(errors.New("auth s3cret-pass refused")), mock.ErrorResult(io.EOF)})
	h = cm2.Health(ctx)
	if h.Status != StatusUnhealthy || strings.Contains(h.Error, "s3cret") || strings.Contains(h.Nodes[0].Error, "s3cret") || !strings.Contains(h.Error, "[redacted]") {
		t.Fatalf("Health = %+v", h)
	}
}

func TestHealthBoundedWithoutDeadline(t *testing.T) {
	cm, client := mockManager(t, false, nil)
	ctrl := gomock.NewController(t)
	node := mock.NewClient(ctrl)
	client.EXPECT().Nodes().Return(map[string]rueidis.Client{"n:1": node})
	node.EXPECT().DoMulti(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, _ ...rueidis.Completed) []rueidis.RedisResult {
		<-ctx.Done() // a server that never answers
		return []rueidis.RedisResult{mock.ErrorResult(ctx.Err()), mock.ErrorResult(ctx.Err())}
	})
	start := time.Now()
	h := cm.Health(context.Background())
	if d := time.Since(start); d > HealthTimeout+time.Second {
		t.Fatalf("Health took %v", d)
	}
	if h.Status != StatusUnhealthy || !strings.Contains(h.Error, "deadline") {
		t.Fatalf("Health = %+v", h)
	}
	var nilCM *ConnectionManager
	if h := nilCM.Health(context.Background()); h.Status != StatusUnhealthy {
		t.Fatalf("nil manager Health = %+v", h)
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
