// Command demo runs the examples end to end: the tag system, the
// session manager and a set of structs, then prints the manager's health.
//
// With REDIS_URL set (e.g. redis://localhost:6379/0) it uses that server,
// under the key prefix "setgen-demo:", and deletes its keys at the end.
// Otherwise, when redis-server is on PATH, it starts one on a free
// loopback port and stops it at the end; failing that, an embedded
// in-process Redis (miniredis, which cannot track keys, so the client-side
// cache is off). Its first line says which.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/setgen/setgen/examples/sessions"
	"github.com/setgen/setgen/examples/tags"
	"github.com/setgen/setgen/examples/users"
	"github.com/setgen/setgen/runtime"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("demo: ")
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	opts, stop, err := options()
	if err != nil {
		return err
	}
	defer stop()
	opts.KeyPrefix = "setgen-demo:"
	cm, err := runtime.NewConnectionManager(opts)
	if err != nil {
		return err
	}
	defer cm.Close()

	if err := tagDemo(ctx, cm); err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	if err := sessionDemo(ctx, cm); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	if err := userDemo(ctx, cm); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	h := cm.Health(ctx)
	b, _ := json.MarshalIndent(h, "", "  ")
	fmt.Printf("\nhealth: %s\n", b)
	return nil
}

// options picks the server: REDIS_URL, or an embedded miniredis.
func options() (runtime.Options, func(), error) {
	if url := os.Getenv("REDIS_URL"); url != "" {
		o, err := runtime.ParseURL(url)
		if err != nil {
			return o, nil, err
		}
		fmt.Printf("using the Redis server at REDIS_URL (%s)\n", o.Addrs[0])
		return o, func() {}, nil
	}
	if path, err := exec.LookPath("redis-server"); err == nil {
		addr, stop, err := startRedis(path)
		if err == nil {
			fmt.Printf("using a redis-server started for the demo at %s (stopped at the end)\n", addr)
			return runtime.Options{Addrs: []string{addr}}, stop, nil
		}
		fmt.Printf("could not start %s (%v); falling back to an embedded Redis\n", path, err)
	}
	mr, err := miniredis.Run()
	if err != nil {
		return runtime.Options{}, nil, err
	}
	fmt.Printf("using an embedded in-process Redis (miniredis at %s, no client-side cache); install redis-server or set REDIS_URL for the real thing\n", mr.Addr())
	// miniredis has no CLIENT TRACKING and answers cluster commands.
	return runtime.Options{Addrs: []string{mr.Addr()}, DisableCache: true, ForceSingleNode: true}, mr.Close, nil
}

func tagDemo(ctx context.Context, cm *runtime.ConnectionManager) error {
	fmt.Println("\n== tag system ==")
	ts := tags.NewTagSystem(cm)
	defer func() {
		for _, id := range []string{"post1", "post2"} {
			_ = tags.NewTagSet(cm, tags.ItemKey(id)).Clear(ctx)
		}
	}()
	if _, err := ts.AddTags(ctx, "post1", "python", "redis", "database"); err != nil {
		return err
	}
	if _, err := ts.AddTags(ctx, "post2", "python", "async", "database"); err != nil {
		return err
	}
	common, err := ts.FindCommonTags(ctx, "post1", "post2")
	if err != nil {
		return err
	}
	slices.Sort(common)
	fmt.Printf("common tags of post1 and post2: %v\n", common)
	removed, err := ts.RemoveTag(ctx, "post1", "redis")
	if err != nil {
		return err
	}
	got, err := ts.GetTags(ctx, "post1")
	if err != nil {
		return err
	}
	slices.Sort(got)
	fmt.Printf("removed redis from post1: %v; post1 now has %v\n", removed, got)
	return nil
}

func sessionDemo(ctx context.Context, cm *runtime.ConnectionManager) error {
	fmt.Println("\n== session manager ==")
	m := sessions.NewManager(cm)
	defer func() { _ = m.RemoveSession(ctx, "sess123") }()
	if err := m.AddSession(ctx, "sess123", map[string]string{"user_id": "user1"}, time.Hour); err != nil {
		return err
	}
	active, err := m.IsActive(ctx, "sess123")
	if err != nil {
		return err
	}
	fmt.Printf("after AddSession(sess123): IsActive(sess123) = %v\n", active)
	all, err := m.GetActiveSessions(ctx)
	if err != nil {
		return err
	}
	for _, s := range all {
		fmt.Printf("active session %s for user %s\n", s.ID, s.UserData["user_id"])
	}
	if err := m.RemoveSession(ctx, "sess123"); err != nil {
		return err
	}
	active, err = m.IsActive(ctx, "sess123")
	if err != nil {
		return err
	}
	fmt.Printf("after RemoveSession(sess123): IsActive(sess123) = %v\n", active)
	return nil
}

func userDemo(ctx context.Context, cm *runtime.ConnectionManager) error {
	fmt.Println("\n== a set of structs ==")
	active := users.NewUserSet(cm, "active_users")
	defer func() { _ = active.Clear(ctx) }()
	joined := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	alice := users.User{ID: "user1", Name: "Alice", Joined: joined, Scores: map[string]int{"go": 9, "redis": 8}}
	// The same user built another way: another time zone, another map order.
	again := users.User{ID: "user1", Name: "Alice", Joined: joined.In(time.FixedZone("CET", 3600)),
		Scores: map[string]int{"redis": 8, "go": 9}}
	n, err := active.Add(ctx, alice, again)
	if err != nil {
		return err
	}
	size, err := active.Size(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("added the same user twice (other zone, other map order): %d new, size %d\n", n, size)
	ok, err := active.Contains(ctx, again)
	if err != nil {
		return err
	}
	fmt.Printf("contains Alice: %v\n", ok)
	// The client-side cache at work: repeated membership tests are answered
	// locally (the server keeps the cache right with invalidations).
	before := cm.Health(ctx).Cache.Hits
	start := time.Now()
	for range 1000 {
		if _, err := active.Contains(ctx, alice); err != nil {
			return err
		}
	}
	if cm.CacheEnabled() {
		fmt.Printf("1,000 more Contains in %v: %d served from the client-side cache\n",
			time.Since(start).Round(time.Microsecond), cm.Health(ctx).Cache.Hits-before)
	} else {
		fmt.Printf("1,000 more Contains in %v (client-side cache off on this server)\n", time.Since(start).Round(time.Microsecond))
	}
	if _, err := active.Expire(ctx, time.Hour); err != nil {
		return err
	}
	ttl, err := active.TTL(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("ttl set: %v\n", ttl.Round(time.Hour))
	return nil
}

// startRedis starts redis-server at path on a free loopback port, with no
// persistence, and returns its address and a func that stops it.
func startRedis(path string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	dir, err := os.MkdirTemp("", "setgen-demo-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("redis-server did not listen on %s within 5s", addr)
}
