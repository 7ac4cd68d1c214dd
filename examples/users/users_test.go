package users_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/examples/users"
	"github.com/setgen/setgen/examples/users/usersmock"
	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

func user(id string) users.User {
	return users.User{ID: id, Name: "name-" + id, Joined: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Scores: map[string]int{"a": len(id), "b": 2, "c": 3}}
}

func ids(us []users.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	slices.Sort(out)
	return out
}

// TestUserSetEveryMethod runs every method of the generated set against a
// real redis-server.
func TestUserSetEveryMethod(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, KeyPrefix: "app:"})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a := users.NewUserSet(cm, "a")
	b := users.NewUserSet(cm, "b")
	c := users.NewUserSet(cm, "c")
	if a.Key() != "app:a" {
		t.Fatalf("Key = %q", a.Key())
	}
	check := func(what string, got []users.User, err error, want ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !slices.Equal(ids(got), want) {
			t.Fatalf("%s = %v, want %v", what, ids(got), want)
		}
	}

	if n, err := a.Add(ctx); err != nil || n != 0 {
		t.Fatalf("Add() = %d, %v", n, err)
	}
	if n, err := a.Add(ctx, user("1"), user("2"), user("3"), user("1")); err != nil || n != 3 {
		t.Fatalf("Add = %d, %v; want 3", n, err)
	}
	// The same value built another way (zone, map order) is the same member.
	same := user("1")
	same.Joined = same.Joined.In(time.FixedZone("X", -7*3600))
	same.Scores = map[string]int{"c": 3, "b": 2, "a": 1}
	if n, err := a.Add(ctx, same); err != nil || n != 0 {
		t.Fatalf("Add(equal value) = %d, %v; want 0", n, err)
	}
	if _, err := b.Add(ctx, user("2"), user("3"), user("4")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(ctx, user("3"), user("5")); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.Contains(ctx, same); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if got, err := a.ContainsMany(ctx, user("1"), user("9"), user("3")); err != nil || !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("ContainsMany = %v, %v", got, err)
	}
	if got, err := a.ContainsMany(ctx); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ContainsMany() = %#v, %v; want empty", got, err)
	}
	ms, err := a.Members(ctx)
	check("Members", ms, err, "1", "2", "3")
	if !ms[slices.IndexFunc(ms, func(u users.User) bool { return u.ID == "1" })].Joined.Equal(user("1").Joined) {
		t.Fatal("Members lost the time")
	}
	var all []users.User
	for u, err := range a.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, u)
	}
	check("All", all, nil, "1", "2", "3")
	if n, err := a.Size(ctx); err != nil || n != 3 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	u, err := a.Union(ctx, b, c)
	check("Union", u, err, "1", "2", "3", "4", "5")
	u, err = a.Union(ctx)
	check("Union()", u, err, "1", "2", "3")
	u, err = a.Intersect(ctx, b)
	check("Intersect", u, err, "2", "3")
	u, err = a.Diff(ctx, b)
	check("Diff", u, err, "1")
	if n, err := a.IntersectSize(ctx, 0, b, c); err != nil || n != 1 {
		t.Fatalf("IntersectSize = %d, %v", n, err)
	}
	if n, err := a.IntersectSize(ctx, 1, b); err != nil || n != 1 {
		t.Fatalf("IntersectSize(limit 1) = %d, %v", n, err)
	}
	dst := users.NewUserSet(cm, "dst")
	if n, err := dst.UnionStore(ctx, a, b); err != nil || n != 4 {
		t.Fatalf("UnionStore = %d, %v", n, err)
	}
	if n, err := dst.IntersectStore(ctx, a, b); err != nil || n != 2 {
		t.Fatalf("IntersectStore = %d, %v", n, err)
	}
	if n, err := dst.DiffStore(ctx, b, a); err != nil || n != 1 {
		t.Fatalf("DiffStore = %d, %v", n, err)
	}
	ms, err = dst.Members(ctx)
	check("after DiffStore", ms, err, "4")
	if ok, err := a.Move(ctx, dst, user("1")); err != nil || !ok {
		t.Fatalf("Move = %v, %v", ok, err)
	}
	if ok, err := a.Move(ctx, dst, user("1")); err != nil || ok {
		t.Fatalf("Move of a non-member = %v, %v", ok, err)
	}
	if ok, err := dst.Contains(ctx, user("1")); err != nil || !ok {
		t.Fatalf("Contains after Move = %v, %v", ok, err)
	}
	r, err := b.Random(ctx, 2)
	if err != nil || len(r) != 2 {
		t.Fatalf("Random = %v, %v", r, err)
	}
	p, err := b.Pop(ctx, 10)
	check("Pop", p, err, "2", "3", "4")
	if n, err := b.Size(ctx); err != nil || n != 0 {
		t.Fatalf("Size after Pop = %d, %v", n, err)
	}
	if ttl, err := a.TTL(ctx); err != nil || ttl != runtime.NoExpiry {
		t.Fatalf("TTL = %v, %v; want NoExpiry", ttl, err)
	}
	if ok, err := a.Expire(ctx, time.Minute); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if ttl, err := a.TTL(ctx); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL after Expire = %v, %v", ttl, err)
	}
	if n, err := a.Remove(ctx, user("2"), user("9")); err != nil || n != 1 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
	if err := a.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if ttl, err := a.TTL(ctx); err != nil || ttl != runtime.NoKey {
		t.Fatalf("TTL after Clear = %v, %v; want NoKey", ttl, err)
	}

	// Errors name the type, the key and the operation.
	_, err = a.Pop(ctx, 0)
	if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.HasPrefix(err.Error(), "users.UserSet(app:a).Pop: ") {
		t.Fatalf("Pop(0) error = %v", err)
	}
	var nilSet *users.UserSet
	if _, err := nilSet.Size(ctx); !errors.Is(err, runtime.ErrInvalidArgument) || !strings.HasPrefix(err.Error(), "users.UserSet().Size: ") {
		t.Fatalf("nil set Size error = %v", err)
	}
	if _, err := a.Union(ctx, nilSet); !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), "nil *users.UserSet") {
		t.Fatalf("Union with a nil set: %v", err)
	}
}

// TestProfileSet round-trips the richer type through a real server.
func TestProfileSet(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx := context.Background()
	boss := user("boss")
	p := users.Profile{User: user("1"), Role: "admin", Manager: &boss, Labels: []string{"x", "y"},
		Projects: map[string]users.Project{"setgen": {Name: "setgen", Stars: 5}, "other": {Name: "o"}},
		Limits:   map[int]float64{3: 1.5, 1: 0.25}, Session: 90 * time.Minute}
	s := users.NewProfileSet(cm, "profiles")
	if _, err := s.Add(ctx, p, users.Profile{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Members(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("Members = %v, %v", got, err)
	}
	i := slices.IndexFunc(got, func(q users.Profile) bool { return q.Role == "admin" })
	q := got[i]
	if q.Manager == nil || q.Manager.ID != "boss" || q.Projects["setgen"].Stars != 5 || q.Limits[1] != 0.25 ||
		q.Session != 90*time.Minute || !slices.Equal(q.Labels, p.Labels) || !q.User.Joined.Equal(p.User.Joined) {
		t.Fatalf("round trip lost data: %+v", q)
	}
	if ok, err := s.Contains(ctx, q); err != nil || !ok {
		t.Fatalf("Contains(decoded value) = %v, %v", ok, err)
	}
}

// TestUserSetMock shows the generated gomock mock standing in for the set.
func TestUserSetMock(t *testing.T) {
	ctrl := gomock.NewController(t)
	m := usersmock.NewMockUserSetAPI(ctrl)
	m.EXPECT().Add(gomock.Any(), user("1")).Return(int64(1), nil)
	m.EXPECT().Contains(gomock.Any(), user("1")).Return(true, nil)
	var s users.UserSetAPI = m
	if n, err := s.Add(context.Background(), user("1")); err != nil || n != 1 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if ok, err := s.Contains(context.Background(), user("1")); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
}

// TestEqUser: the generated matcher matches the values the real set treats
// as one member (the same instant in another zone, a nil or empty map),
// where gomock's deep equality would not, and only those.
func TestEqUser(t *testing.T) {
	alice := users.User{ID: "alice", Joined: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	same := users.User{ID: "alice", Joined: alice.Joined.In(time.FixedZone("CET", 3600)), Scores: map[string]int{}}
	if gomock.Eq(alice).Matches(same) {
		t.Fatal("deep equality matched: the test shows nothing")
	}
	if !usersmock.EqUser(alice).Matches(same) {
		t.Fatal("EqUser does not match the same member in another zone")
	}
	if usersmock.EqUser(alice).Matches(users.User{ID: "bob"}) || usersmock.EqUser(alice).Matches("alice") {
		t.Fatal("EqUser matched another member or another type")
	}
	ctrl := gomock.NewController(t)
	m := usersmock.NewMockUserSetAPI(ctrl)
	m.EXPECT().Contains(gomock.Any(), usersmock.EqUser(alice)).Return(true, nil)
	if ok, err := m.Contains(context.Background(), same); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
}
