package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
)

// serverExamples start a redis-server. An example cannot skip itself, so
// under -short (the tier that needs no server) TestMain leaves them out
// with -test.skip; the full run runs them.
const serverExamples = "^Example(NewSet|ConnectionManager_Health)$"

func TestMain(m *testing.M) {
	flag.Parse()
	redistest.SkipServerExamples(serverExamples)
	os.Exit(m.Run())
}

func ExampleParseURL() {
	o, err := runtime.ParseURL("rediss://app:secret@cache.example.com:6380/2?key_prefix=app:&retry_max_attempts=5&breaker_timeout=30s")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("addrs:", o.Addrs)
	fmt.Println("user:", o.Username, "db:", o.DB, "prefix:", o.KeyPrefix)
	fmt.Println("retries:", o.RetryMaxAttempts, "breaker timeout:", o.BreakerTimeout)
	fmt.Println("TLS server name:", o.TLS.ServerName)

	// Errors never show the password.
	_, err = runtime.ParseURL("redis://app:secret@cache.example.com/?retry_max_attempts=many")
	fmt.Println(err)
	_, err = runtime.ParseURL("redis://app:secret@cache.example.com/?retries=3")
	fmt.Println(err)
	// Output:
	// addrs: [cache.example.com:6380]
	// user: app db: 2 prefix: app:
	// retries: 5 breaker timeout: 30s
	// TLS server name: cache.example.com
	// setgen: parse URL: option retry_max_attempts="many": invalid syntax
	// setgen: parse URL: unknown option "retries"
}

func ExampleNewConnectionManager_invalidOptions() {
	_, err := runtime.NewConnectionManager(runtime.Options{DB: -1})
	fmt.Println(err)
	fmt.Println(errors.Is(err, runtime.ErrInvalidArgument))
	// Output:
	// setgen: invalid argument: Options.DB is negative (-1)
	// true
}

func ExampleNewSet() {
	addr, stop := startExampleRedis()
	defer stop()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{addr}, KeyPrefix: "app:"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cm.Close()
	ctx := context.Background()

	// testtypes.Str is `type Str string`; StrCodec is what setgen generated
	// for it (a named string is stored as its raw bytes).
	tags := runtime.NewSet[testtypes.Str](cm, "tags.TagSet", "tags", testtypes.StrCodec{})
	n, _ := tags.Add(ctx, "go", "redis", "go")
	fmt.Println("key:", tags.Key(), "added:", n)
	ok, _ := tags.Contains(ctx, "redis")
	fmt.Println("contains redis:", ok)
	members, _ := tags.Members(ctx)
	slices.Sort(members)
	fmt.Println("members:", members)
	_, err = tags.Pop(ctx, 0)
	fmt.Println(err)
	// Output:
	// key: app:tags added: 2
	// contains redis: true
	// members: [go redis]
	// tags.TagSet(app:tags).Pop: setgen: invalid argument: count 0 is not positive
}

func ExampleConnectionManager_Health() {
	addr, stop := startExampleRedis()
	defer stop()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{addr}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cm.Close()

	h := cm.Health(context.Background())
	fmt.Println("status:", h.Status)
	fmt.Println("circuit breaker:", h.CircuitBreaker.State, "threshold:", h.CircuitBreaker.Threshold)
	fmt.Println("cache enabled:", h.Cache.Enabled)

	b, _ := json.Marshal(h)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	fmt.Println("JSON keys:", slices.Sorted(maps.Keys(m)))
	// Output:
	// status: healthy
	// circuit breaker: closed threshold: 5
	// cache enabled: true
	// JSON keys: [cache circuit_breaker connection_pool latency_ms mode nodes server status]
}

func startExampleRedis() (addr string, stop func()) {
	addr, stop, err := redistest.StartForExample()
	if err != nil {
		panic(err)
	}
	return addr, stop
}
