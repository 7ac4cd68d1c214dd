package runtime_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestCachedReadsUnderOOM: a server full under maxmemory with noeviction
// refuses writes and commands queued inside MULTI. Cached Contains and
// ContainsMany fill the cache without MULTI/EXEC (a static TTL), so they
// keep answering correctly while writes fail with the server's OOM error.
func TestCachedReadsUnderOOM(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{Args: []string{"--maxmemory", "4mb", "--maxmemory-policy", "noeviction"}})
	cm := newManager(t, srv, func(o *runtime.Options) { o.RetryMaxAttempts = 1 })
	if !cm.CacheEnabled() {
		t.Fatal("cache is off")
	}
	ctx := ctxT(t)
	s := runtime.NewSet[string](cm, "test.S", "full", strCodec{})
	pad := strings.Repeat("x", 1000)
	var added []string
	var oom error
	for i := 0; i < 20000 && oom == nil; i++ {
		batch := make([]string, 100)
		for j := range batch {
			batch[j] = strconv.Itoa(i*100+j) + pad
		}
		if _, err := s.Add(ctx, batch...); err != nil {
			oom = err
			break
		}
		added = append(added, batch...)
	}
	if oom == nil || !strings.Contains(oom.Error(), "OOM") {
		t.Fatalf("filling the server: %v; want an OOM error", oom)
	}
	if errors.Is(oom, runtime.ErrCircuitOpen) {
		t.Fatalf("OOM opened the breaker: %v", oom)
	}
	t.Logf("server full after %d members: %v", len(added), oom)
	// First reads are cache misses (fills), then hits.
	for range 2 {
		if ok, err := s.Contains(ctx, added[0]); err != nil || !ok {
			t.Fatalf("Contains(present) on a full server = %v, %v", ok, err)
		}
		if ok, err := s.Contains(ctx, "absent"); err != nil || ok {
			t.Fatalf("Contains(absent) on a full server = %v, %v", ok, err)
		}
		got, err := s.ContainsMany(ctx, added[1], "absent2", added[len(added)-1])
		if err != nil || len(got) != 3 || !got[0] || got[1] || !got[2] {
			t.Fatalf("ContainsMany on a full server = %v, %v", got, err)
		}
	}
	// Read-your-writes still holds once a write frees memory.
	if _, err := s.Remove(ctx, added[0]); err != nil {
		t.Fatalf("Remove on a full server: %v", err)
	}
	if ok, err := s.Contains(ctx, added[0]); err != nil || ok {
		t.Fatalf("Contains after Remove = %v, %v", ok, err)
	}
}

// TestCachedContainsAfterKeyExpiry: cached answers are filled with a
// static TTL (CacheTTL), so a set that expires (Expire) is dropped from the
// cache by the server's invalidation when it expires; it logs how long
// after the expiry that took.
func TestCachedContainsAfterKeyExpiry(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	s := runtime.NewSet[string](cm, "test.S", "expiring", strCodec{})
	if _, err := s.Add(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Contains(ctx, "a"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if ok, err := s.Expire(ctx, 50*time.Millisecond); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	expired := time.Now().Add(50 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := s.Contains(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Logf("cached Contains turned false %v after the set expired", time.Since(expired).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("cached Contains still true 5 s after the set expired")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
