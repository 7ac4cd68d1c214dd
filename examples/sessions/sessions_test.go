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

// TestManagerWithMocks checks the order of writes: details first, then the
// active mark; on removal, the mark first, then the details.
func TestManagerWithMocks(t *testing.T) {
	ctrl := gomock.NewController(t)
	ctx := context.Background()
	active := sessionsmock.NewMockSessionIDSetAPI(ctrl)
	details := sessionsmock.NewMockSessionSetAPI(ctrl)
	m := sessions.NewManagerWithSets(active, func(id sessions.SessionID) sessions.SessionSetAPI {
		if id != "sess123" {
			t.Errorf("details of %q opened", id)
		}
		return details
	}, time.Hour, clock)

	want := sessions.Session{ID: "sess123", UserData: map[string]string{"user_id": "user1"}, Started: clock()}
	gomock.InOrder(
		details.EXPECT().Clear(gomock.Any()).Return(nil),
		details.EXPECT().Add(gomock.Any(), want).Return(int64(1), nil),
		details.EXPECT().Expire(gomock.Any(), time.Hour).Return(true, nil),
		active.EXPECT().Add(gomock.Any(), sessions.SessionID("sess123")).Return(int64(1), nil),
	)
	if err := m.AddSession(ctx, "sess123", map[string]string{"user_id": "user1"}); err != nil {
		t.Fatal(err)
	}

	active.EXPECT().Contains(gomock.Any(), sessions.SessionID("sess123")).Return(true, nil)
	if ok, err := m.IsActive(ctx, "sess123"); err != nil || !ok {
		t.Fatalf("IsActive = %v, %v", ok, err)
	}

	gomock.InOrder(
		active.EXPECT().Remove(gomock.Any(), sessions.SessionID("sess123")).Return(int64(1), nil),
		details.EXPECT().Clear(gomock.Any()).Return(nil),
	)
	if err := m.RemoveSession(ctx, "sess123"); err != nil {
		t.Fatal(err)
	}

	if err := m.AddSession(ctx, "", nil); err == nil {
		t.Fatal("AddSession with an empty id: no error")
	}
}

// TestManager runs the session scenario against a real redis-server: after
// AddSession("sess123", …) IsActive("sess123") is true, and after
// RemoveSession("sess123") it is false.
func TestManager(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, KeyPrefix: "app:"})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m := sessions.NewManager(cm, time.Hour)

	if ok, err := m.IsActive(ctx, "sess123"); err != nil || ok {
		t.Fatalf("IsActive before AddSession = %v, %v", ok, err)
	}
	if err := m.AddSession(ctx, "sess123", map[string]string{"user_id": "user1"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.IsActive(ctx, "sess123"); err != nil || !ok {
		t.Fatalf("IsActive after AddSession = %v, %v; want true", ok, err)
	}
	if err := m.AddSession(ctx, "sess456", map[string]string{"user_id": "user2"}); err != nil {
		t.Fatal(err)
	}
	all, err := m.GetActiveSessions(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("GetActiveSessions = %+v, %v; want 2 sessions", all, err)
	}
	for _, s := range all {
		if s.UserData["user_id"] == "" || s.Started.IsZero() {
			t.Errorf("session %+v lacks its details", s)
		}
	}
	if ttl, err := sessions.NewSessionSet(cm, sessions.DetailsKey("sess123")).TTL(ctx); err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("details TTL = %v, %v; want within an hour", ttl, err)
	}

	if err := m.RemoveSession(ctx, "sess123"); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.IsActive(ctx, "sess123"); err != nil || ok {
		t.Fatalf("IsActive after RemoveSession = %v, %v; want false", ok, err)
	}
	if out, err := srv.CLI("EXISTS", "app:"+sessions.DetailsKey("sess123")); err != nil || out != "0" {
		t.Fatalf("details still stored: EXISTS = %q, %v", out, err)
	}

	// A session whose details expired is dropped from the active set.
	if _, err := srv.CLI("DEL", "app:"+sessions.DetailsKey("sess456")); err != nil {
		t.Fatal(err)
	}
	all, err = m.GetActiveSessions(ctx)
	if err != nil || len(all) != 0 {
		t.Fatalf("GetActiveSessions after expiry = %+v, %v; want none", all, err)
	}
	if ok, err := m.IsActive(ctx, "sess456"); err != nil || ok {
		t.Fatalf("IsActive(sess456) after its details expired = %v, %v; want false", ok, err)
	}
}
