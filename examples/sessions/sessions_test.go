package sessions_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/examples/sessions"
	"github.com/setgen/setgen/examples/sessions/sessionsmock"
	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

var clock = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

// TestManagerWithMocks checks the writes: the record first, then the id,
// each once, with the session's ttl; removal is one write.
func TestManagerWithMocks(t *testing.T) {
	ctrl := gomock.NewController(t)
	ctx := context.Background()
	active := sessionsmock.NewMockSessionIDTTLSetAPI(ctrl)
	records := sessionsmock.NewMockSessionTTLSetAPI(ctrl)
	m := sessions.NewManagerWithSets(active, records, clock)

	want := sessions.Session{ID: "sess123", UserData: map[string]string{"user_id": "user1"}, Started: clock()}
	gomock.InOrder(
		records.EXPECT().Add(gomock.Any(), time.Hour, sessionsmock.EqSession(want)).Return(int64(1), nil),
		active.EXPECT().Add(gomock.Any(), time.Hour, sessions.SessionID("sess123")).Return(int64(1), nil),
	)
	if err := m.AddSession(ctx, "sess123", map[string]string{"user_id": "user1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	active.EXPECT().Contains(gomock.Any(), sessions.SessionID("sess123")).Return(true, nil)
	if ok, err := m.IsActive(ctx, "sess123"); err != nil || !ok {
		t.Fatalf("IsActive = %v, %v", ok, err)
	}
	active.EXPECT().Remove(gomock.Any(), sessions.SessionID("sess123")).Return(int64(1), nil)
	if err := m.RemoveSession(ctx, "sess123"); err != nil {
		t.Fatal(err)
	}
	if err := m.AddSession(ctx, "", nil, time.Hour); err == nil {
		t.Fatal("AddSession with an empty id: no error")
	}
}

// TestManager runs the session scenario against a real redis-server:
// sessions are active once added, inactive once removed or expired, and
// nothing is left in Redis once every session has expired.
func TestManager(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, KeyPrefix: "app:"})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m := sessions.NewManager(cm)

	if ok, err := m.IsActive(ctx, "sess123"); err != nil || ok {
		t.Fatalf("IsActive before AddSession = %v, %v", ok, err)
	}
	if err := m.AddSession(ctx, "sess123", map[string]string{"user_id": "user1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.IsActive(ctx, "sess123"); err != nil || !ok {
		t.Fatalf("IsActive after AddSession = %v, %v; want true", ok, err)
	}
	if err := m.AddSession(ctx, "sess456", map[string]string{"user_id": "user2"}, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	all, err := m.GetActiveSessions(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "sess123" || all[1].UserData["user_id"] != "user2" || all[0].Started.IsZero() {
		t.Fatalf("GetActiveSessions = %+v, %v; want both, with their details", all, err)
	}

	// sess456 expires on its own: IsActive turns false (from the cache)
	// and it is no longer listed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := m.IsActive(ctx, "sess456")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sess456 still active 5 s after its ttl")
		}
		time.Sleep(10 * time.Millisecond)
	}
	all, err = m.GetActiveSessions(ctx)
	if err != nil || len(all) != 1 || all[0].ID != "sess123" {
		t.Fatalf("GetActiveSessions after sess456 expired = %+v, %v", all, err)
	}

	if err := m.RemoveSession(ctx, "sess123"); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.IsActive(ctx, "sess123"); err != nil || ok {
		t.Fatalf("IsActive after RemoveSession = %v, %v; want false", ok, err)
	}
	if all, err := m.GetActiveSessions(ctx); err != nil || len(all) != 0 {
		t.Fatalf("GetActiveSessions after RemoveSession = %+v, %v; want none", all, err)
	}

	// Short sessions only (under another prefix): once they expire, Redis
	// holds nothing.
	cm2, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, KeyPrefix: "brief:"})
	if err != nil {
		t.Fatal(err)
	}
	defer cm2.Close()
	m2 := sessions.NewManager(cm2)
	if err := m2.AddSession(ctx, "brief1", nil, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := m2.AddSession(ctx, "brief2", nil, 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		out, err := srv.CLI("EXISTS", "brief:"+sessions.ActiveKey, "brief:"+sessions.RecordsKey)
		if err != nil {
			t.Fatal(err)
		}
		if out == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keys still stored 5 s after the last session expired: EXISTS = %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
