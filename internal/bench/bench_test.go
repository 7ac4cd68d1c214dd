package bench

import (
	"context"
	"fmt"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
)

// user is the README's element type; userCodec is what setgen generates
// for it (internal/testtypes).
type (
	user      = testtypes.User
	userCodec = testtypes.UserCodec
)

func userN(i int) user {
	return user{
		ID:     fmt.Sprintf("user-%07d", i),
		Name:   fmt.Sprintf("User Number %d", i),
		Joined: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Scores: map[string]int{"chess": i % 3000, "go": 1200 + i%7, "poker": -i % 11},
	}
}

// parallelism makes b.RunParallel use about 32 goroutines.
func parallelism() int { return max(1, (32+goruntime.GOMAXPROCS(0)-1)/goruntime.GOMAXPROCS(0)) }

const members = 1000

// BenchmarkContains32 compares, on one redis-server started for the run
// and with ~32 goroutines, a membership test of a struct member through
// go-redis (msgpack.Marshal by hand, then SIsMember) and through setgen's
// typed set (canonical encoding, breaker, auto-pipelined SISMEMBER).
func BenchmarkContains32(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	users := make([]user, members)
	for i := range users {
		users[i] = userN(i)
	}

	newCM := func(cache bool) *runtime.ConnectionManager {
		cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, DisableCache: !cache})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cm.Close)
		return cm
	}
	uncached, cached := newCM(false), newCM(true)
	setU := runtime.NewSet[user](uncached, "bench.UserSet", "users", userCodec{})
	setC := runtime.NewSet[user](cached, "bench.UserSet", "users", userCodec{})
	if n, err := setU.Add(ctx, users...); err != nil || n != members {
		b.Fatalf("Add = %d, %v", n, err)
	}

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(ctx).Err(); err != nil {
		b.Fatal(err)
	}

	b.Run("go-redis/SIsMember+msgpack.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				m, err := msgpack.Marshal(&users[i%members])
				if err != nil {
					b.Error(err)
					return
				}
				// msgpack does not sort map[string]int keys, so the bytes
				// (and the answer) vary: only the cost is comparable.
				if err := rdb.SIsMember(ctx, "users", m).Err(); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	// The ceiling for setgen: raw rueidis (setgen's own client) with the
	// member already encoded.
	encoded := make([]string, members)
	for i := range users {
		m, err := userCodec{}.Append(nil, &users[i])
		if err != nil {
			b.Fatal(err)
		}
		encoded[i] = string(m)
	}
	b.Run("rueidis/SISMEMBER-preencoded", func(b *testing.B) {
		c := uncached.Client()
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				ok, err := c.Do(ctx, c.B().Sismember().Key("users").Member(encoded[i%members]).Build()).AsBool()
				if err != nil || !ok {
					b.Errorf("SISMEMBER = %v, %v", ok, err)
					return
				}
				i++
			}
		})
	})
	b.Run("setgen/Contains-uncached", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				ok, err := setU.Contains(ctx, users[i%members])
				if err != nil || !ok {
					b.Errorf("Contains = %v, %v", ok, err)
					return
				}
				i++
			}
		})
	})
	b.Run("setgen/Contains-cached", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				ok, err := setC.Contains(ctx, users[i%members])
				if err != nil || !ok {
					b.Errorf("Contains = %v, %v", ok, err)
					return
				}
				i++
			}
		})
	})
}

// TestSameAnswers checks, against a real server, that the compared calls
// answer the same question: go-redis finds a member that setgen stored
// when given setgen's canonical bytes, and setgen finds it too.
func TestSameAnswers(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	ctx := context.Background()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	s := runtime.NewSet[user](cm, "bench.UserSet", "users", userCodec{})
	u := userN(3)
	if _, err := s.Add(ctx, u); err != nil {
		t.Fatal(err)
	}
	encB, err := userCodec{}.Append(nil, &u)
	if err != nil {
		t.Fatal(err)
	}
	enc := string(encB)
	if ok, err := rdb.SIsMember(ctx, "users", enc).Result(); err != nil || !ok {
		t.Fatalf("go-redis SIsMember(canonical bytes) = %v, %v", ok, err)
	}
	if ok, err := s.Contains(ctx, u); err != nil || !ok {
		t.Fatalf("setgen Contains = %v, %v", ok, err)
	}
	var back user
	if err := msgpack.Unmarshal([]byte(enc), &back); err != nil || back.ID != u.ID || back.Scores["go"] != u.Scores["go"] {
		t.Fatalf("msgpack.Unmarshal(canonical bytes) = %+v, %v", back, err)
	}
}
