package runtime_test

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// Integration tests of every Set operation against a real redis-server,
// for a raw-bytes codec (named string types) and a struct codec. Members
// are generated from ints, so results are compared with a model of ints.

// elemKind makes distinct members from ints and maps them back.
type elemKind[T any] struct {
	name  string
	codec runtime.Codec[T]
	mk    func(i int) T
	id    func(t *testing.T, v T) int // fails t if v is not exactly mk(id)
}

var strKind = elemKind[string]{
	name:  "string",
	codec: strCodec{},
	mk:    func(i int) string { return "m" + strconv.Itoa(i) },
	id: func(t *testing.T, v string) int {
		t.Helper()
		n, err := strconv.Atoi(strings.TrimPrefix(v, "m"))
		if err != nil || !strings.HasPrefix(v, "m") {
			t.Fatalf("unexpected member %q", v)
		}
		return n
	},
}

func mkItem(i int) item {
	it := item{ID: "id-" + strconv.Itoa(i)}
	if i%4 != 0 {
		it.Tags = make(map[string]int)
		for j := range i % 4 {
			it.Tags["t"+strconv.Itoa(j)] = i * (j + 1)
		}
	}
	return it
}

var itemKind = elemKind[item]{
	name:  "item",
	codec: itemCodec{},
	mk:    mkItem,
	id: func(t *testing.T, v item) int {
		t.Helper()
		n, err := strconv.Atoi(strings.TrimPrefix(v.ID, "id-"))
		if err != nil {
			t.Fatalf("unexpected member %+v", v)
		}
		if want := mkItem(n); !maps.Equal(v.Tags, want.Tags) {
			t.Fatalf("member %+v decoded with tags %v, want %v", v, v.Tags, want.Tags)
		}
		return n
	},
}

// intSet is the model.
type intSet map[int]bool

func intRange(lo, hi int) intSet {
	m := intSet{}
	for i := lo; i < hi; i++ {
		m[i] = true
	}
	return m
}

func (m intSet) sorted() []int { return slices.Sorted(maps.Keys(m)) }

func mkAll[T any](k elemKind[T], ids []int) []T {
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = k.mk(id)
	}
	return out
}

// wantSame fails unless got holds each member of want exactly once.
func wantSame[T any](t *testing.T, k elemKind[T], what string, got []T, want intSet) {
	t.Helper()
	seen := intSet{}
	for _, v := range got {
		id := k.id(t, v)
		if seen[id] {
			t.Fatalf("%s: member %d returned twice", what, id)
		}
		seen[id] = true
	}
	if !maps.Equal(seen, want) {
		t.Fatalf("%s: got %d members, want %d\nmissing %v\nextra %v", what, len(seen), len(want),
			firstN(diffInts(want, seen), 10), firstN(diffInts(seen, want), 10))
	}
}

func diffInts(a, b intSet) []int {
	var out []int
	for x := range a {
		if !b[x] {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

func firstN(s []int, n int) []int { return s[:min(n, len(s))] }

func TestSetKeyAndPrefix(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.KeyPrefix = "app:" })
	ctx := ctxT(t)
	s := runtime.NewSet[string](cm, "users.UserSet", "users", strCodec{})
	if s.Key() != "app:users" {
		t.Fatalf("Key = %q, want app:users", s.Key())
	}
	if _, err := s.Add(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if out, _ := srv.CLI("EXISTS", "app:users"); out != "1" {
		t.Fatalf("EXISTS app:users = %q", out)
	}
	if out, _ := srv.CLI("EXISTS", "users"); out != "0" {
		t.Fatalf("EXISTS users = %q: prefix not applied", out)
	}
	plain := runtime.NewSet[string](newManager(t, srv, nil), "users.UserSet", "users", strCodec{})
	if plain.Key() != "users" {
		t.Fatalf("Key without prefix = %q", plain.Key())
	}
	if n, err := plain.Size(ctx); err != nil || n != 0 {
		t.Fatalf("unprefixed set sees the prefixed one: %d, %v", n, err)
	}
}

func TestSetBasicOps(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	for _, cache := range []bool{true, false} {
		cm := newManager(t, srv, func(o *runtime.Options) { o.DisableCache = !cache })
		if cm.CacheEnabled() != cache {
			t.Fatalf("CacheEnabled = %v, want %v", cm.CacheEnabled(), cache)
		}
		t.Run(fmt.Sprintf("string/cache=%v", cache), func(t *testing.T) { testBasicOps(t, cm, strKind) })
		t.Run(fmt.Sprintf("item/cache=%v", cache), func(t *testing.T) { testBasicOps(t, cm, itemKind) })
	}
}

func testBasicOps[T any](t *testing.T, cm *runtime.ConnectionManager, k elemKind[T]) {
	ctx := ctxT(t)
	s := runtime.NewSet(cm, "test.Set", t.Name(), k.codec)
	model := intSet{}
	add := func(ids ...int) {
		t.Helper()
		want := 0
		for _, id := range ids {
			if !model[id] {
				want++
				model[id] = true
			}
		}
		n, err := s.Add(ctx, mkAll(k, ids)...)
		if err != nil || n != int64(want) {
			t.Fatalf("Add(%v) = %d, %v; want %d", ids, n, err, want)
		}
	}
	remove := func(ids ...int) {
		t.Helper()
		want := 0
		for _, id := range ids {
			if model[id] {
				want++
				delete(model, id)
			}
		}
		n, err := s.Remove(ctx, mkAll(k, ids)...)
		if err != nil || n != int64(want) {
			t.Fatalf("Remove(%v) = %d, %v; want %d", ids, n, err, want)
		}
	}
	check := func(stage string) {
		t.Helper()
		if n, err := s.Size(ctx); err != nil || n != int64(len(model)) {
			t.Fatalf("%s: Size = %d, %v; want %d", stage, n, err, len(model))
		}
		probe := intRange(0, 40).sorted()
		for _, id := range probe {
			ok, err := s.Contains(ctx, k.mk(id))
			if err != nil || ok != model[id] {
				t.Fatalf("%s: Contains(%d) = %v, %v; want %v", stage, id, ok, err, model[id])
			}
		}
		got, err := s.ContainsMany(ctx, mkAll(k, probe)...)
		if err != nil || len(got) != len(probe) {
			t.Fatalf("%s: ContainsMany = %v, %v", stage, got, err)
		}
		for i, id := range probe {
			if got[i] != model[id] {
				t.Fatalf("%s: ContainsMany[%d] (%d) = %v, want %v", stage, i, id, got[i], model[id])
			}
		}
		ms, err := s.Members(ctx)
		if err != nil || ms == nil {
			t.Fatalf("%s: Members = %v, %v", stage, ms, err)
		}
		wantSame(t, k, stage+": Members", ms, model)
		var all []T
		for v, err := range s.All(ctx) {
			if err != nil {
				t.Fatalf("%s: All: %v", stage, err)
			}
			all = append(all, v)
		}
		wantSame(t, k, stage+": All", all, model)
	}

	// Variadic calls with nothing to do.
	if n, err := s.Add(ctx); n != 0 || err != nil {
		t.Fatalf("Add() = %d, %v", n, err)
	}
	if n, err := s.Remove(ctx); n != 0 || err != nil {
		t.Fatalf("Remove() = %d, %v", n, err)
	}
	if got, err := s.ContainsMany(ctx); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ContainsMany() = %#v, %v; want an empty non-nil slice", got, err)
	}
	check("empty")
	add(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	check("after Add")
	add(5, 6, 7, 8, 9, 10, 11, 12, 13, 14)
	add(20, 20, 21, 21, 21) // duplicates inside one call count once
	check("after overlapping Add")
	remove(0, 1, 100, 1)
	remove(30, 31)
	check("after Remove")

	// All stops when the consumer breaks.
	var yielded int
	for _, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		yielded++
		if yielded == 3 {
			break
		}
	}
	if yielded != 3 {
		t.Fatalf("All yielded %d before the break, want 3", yielded)
	}

	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	model = intSet{}
	check("after Clear")
	if err := s.Clear(ctx); err != nil {
		t.Fatalf("Clear of a missing key: %v", err)
	}
	add(1, 2)
	check("after re-Add")
}

func TestSetLargeInputs(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	t.Run("string", func(t *testing.T) { testLarge(t, cm, strKind, 100_000) })
	t.Run("item", func(t *testing.T) { testLarge(t, cm, itemKind, 100_000) })
}

func testLarge[T any](t *testing.T, cm *runtime.ConnectionManager, k elemKind[T], n int) {
	ctx := ctxT(t)
	s := runtime.NewSet(cm, "test.Set", "large:"+k.name, k.codec)
	ids := intRange(0, n).sorted()
	members := mkAll(k, ids)
	if got, err := s.Add(ctx, members...); err != nil || got != int64(n) {
		t.Fatalf("Add %d = %d, %v", n, got, err)
	}
	if got, err := s.Add(ctx, members...); err != nil || got != 0 {
		t.Fatalf("Add again = %d, %v", got, err)
	}
	if got, err := s.Size(ctx); err != nil || got != int64(n) {
		t.Fatalf("Size = %d, %v", got, err)
	}
	// ContainsMany over n present and n absent members, interleaved.
	probe := make([]T, 0, 2*n)
	for i := range n {
		probe = append(probe, k.mk(i), k.mk(n+i))
	}
	found, err := s.ContainsMany(ctx, probe...)
	if err != nil || len(found) != 2*n {
		t.Fatalf("ContainsMany = %d results, %v", len(found), err)
	}
	for i, f := range found {
		if f != (i%2 == 0) {
			t.Fatalf("ContainsMany[%d] = %v", i, f)
		}
	}
	// Remove the even ones (and some absent ones).
	var evens []T
	model := intSet{}
	for i := range n {
		if i%2 == 0 {
			evens = append(evens, k.mk(i))
		} else {
			model[i] = true
		}
	}
	evens = append(evens, k.mk(n+1), k.mk(n+2))
	if got, err := s.Remove(ctx, evens...); err != nil || got != int64(n/2) {
		t.Fatalf("Remove evens = %d, %v; want %d", got, err, n/2)
	}
	ms, err := s.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantSame(t, k, "Members", ms, model)
	// All over the full set again: every member at least once.
	if _, err := s.Add(ctx, evens[:len(evens)-2]...); err != nil {
		t.Fatal(err)
	}
	seen := intSet{}
	yields := 0
	for v, err := range s.All(ctx) {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		seen[k.id(t, v)] = true
		yields++
	}
	if !maps.Equal(seen, intRange(0, n)) {
		t.Fatalf("All saw %d distinct members, want %d", len(seen), n)
	}
	if yields != n {
		t.Logf("All yielded %d times for %d members (SSCAN may repeat)", yields, n)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSetCanonicalEncoding(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	s := runtime.NewSet[item](cm, "test.ItemSet", "canon", itemCodec{})
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	build := func() item {
		perm := slices.Clone(keys)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		it := item{ID: "same", Tags: make(map[string]int)}
		for _, k := range perm {
			it.Tags[k] = len(k) * 7
		}
		return it
	}
	var total int64
	for range 20 {
		n, err := s.Add(ctx, build(), build())
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 1 {
		t.Fatalf("20 Adds of equal values added %d members", total)
	}
	if n, err := s.Size(ctx); err != nil || n != 1 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	if ok, err := s.Contains(ctx, build()); err != nil || !ok {
		t.Fatalf("Contains(equal value) = %v, %v", ok, err)
	}
	// nil and empty maps are the same value for the set.
	if _, err := s.Add(ctx, item{ID: "e"}, item{ID: "e", Tags: map[string]int{}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size(ctx); err != nil || n != 2 {
		t.Fatalf("Size after nil/empty map = %d, %v; want 2", n, err)
	}
	if n, err := s.Remove(ctx, build()); err != nil || n != 1 {
		t.Fatalf("Remove(equal value) = %d, %v", n, err)
	}
	// A different value is a different member.
	other := build()
	other.Tags["k0"]++
	if ok, err := s.Contains(ctx, other); err != nil || ok {
		t.Fatalf("Contains(different value) = %v, %v", ok, err)
	}
}

func TestSetPopRandom(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	t.Run("string", func(t *testing.T) { testPopRandom(t, cm, strKind) })
	t.Run("item", func(t *testing.T) { testPopRandom(t, cm, itemKind) })
}

func testPopRandom[T any](t *testing.T, cm *runtime.ConnectionManager, k elemKind[T]) {
	ctx := ctxT(t)
	s := runtime.NewSet(cm, "test.Set", "pop:"+k.name, k.codec)
	model := intRange(0, 10)
	if _, err := s.Add(ctx, mkAll(k, model.sorted())...); err != nil {
		t.Fatal(err)
	}
	// Random: distinct members, nothing removed.
	for _, n := range []int64{1, 4, 10, 50} {
		got, err := s.Random(ctx, n)
		if err != nil || int64(len(got)) != min(n, 10) {
			t.Fatalf("Random(%d) = %d members, %v", n, len(got), err)
		}
		sub := intSet{}
		for _, v := range got {
			id := k.id(t, v)
			if !model[id] || sub[id] {
				t.Fatalf("Random(%d) returned %d (not a member, or twice)", n, id)
			}
			sub[id] = true
		}
	}
	if n, err := s.Size(ctx); err != nil || n != 10 {
		t.Fatalf("Size after Random = %d, %v", n, err)
	}
	// Pop: distinct members, removed.
	got, err := s.Pop(ctx, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("Pop(3) = %v, %v", got, err)
	}
	for _, v := range got {
		id := k.id(t, v)
		if !model[id] {
			t.Fatalf("Pop returned %d: not a member (or twice)", id)
		}
		delete(model, id)
		if ok, err := s.Contains(ctx, v); err != nil || ok {
			t.Fatalf("popped member %d still contained: %v, %v", id, ok, err)
		}
	}
	if n, err := s.Size(ctx); err != nil || n != 7 {
		t.Fatalf("Size after Pop(3) = %d, %v", n, err)
	}
	got, err = s.Pop(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	wantSame(t, k, "Pop(100)", got, model)
	if n, err := s.Size(ctx); err != nil || n != 0 {
		t.Fatalf("Size after popping all = %d, %v", n, err)
	}
	if got, err := s.Pop(ctx, 1); err != nil || len(got) != 0 {
		t.Fatalf("Pop on an empty set = %v, %v", got, err)
	}
	if got, err := s.Random(ctx, 3); err != nil || len(got) != 0 {
		t.Fatalf("Random on an empty set = %v, %v", got, err)
	}
}

func TestSetExpireTTL(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.KeyPrefix = "p:" })
	ctx := ctxT(t)
	s := runtime.NewSet[string](cm, "test.Set", "ttl", strCodec{})
	if runtime.NoExpiry != -1 || runtime.NoKey != -2 {
		t.Fatalf("NoExpiry = %v, NoKey = %v", runtime.NoExpiry, runtime.NoKey)
	}
	if d, err := s.TTL(ctx); err != nil || d != runtime.NoKey {
		t.Fatalf("TTL of a missing set = %v, %v; want NoKey", d, err)
	}
	if ok, err := s.Expire(ctx, time.Minute); err != nil || ok {
		t.Fatalf("Expire of a missing set = %v, %v; want false", ok, err)
	}
	if _, err := s.Add(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.TTL(ctx); err != nil || d != runtime.NoExpiry {
		t.Fatalf("TTL without expiry = %v, %v; want NoExpiry", d, err)
	}
	if ok, err := s.Expire(ctx, 10*time.Second); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	d, err := s.TTL(ctx)
	if err != nil || d <= 8*time.Second || d > 10*time.Second {
		t.Fatalf("TTL = %v, %v; want just under 10s", d, err)
	}
	if out, _ := srv.CLI("PTTL", "p:ttl"); out == "-1" || out == "-2" {
		t.Fatalf("redis-cli PTTL p:ttl = %s", out)
	}
	// Sub-millisecond parts are rounded up, never down to zero.
	if ok, err := s.Expire(ctx, 20*time.Second+time.Nanosecond); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if d, err := s.TTL(ctx); err != nil || d <= 19*time.Second || d > 20*time.Second+time.Millisecond {
		t.Fatalf("TTL = %v, %v", d, err)
	}
	// A short TTL really expires the set.
	if ok, err := s.Contains(ctx, "a"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if ok, err := s.Expire(ctx, 150*time.Millisecond); err != nil || !ok {
		t.Fatalf("Expire(150ms) = %v, %v", ok, err)
	}
	time.Sleep(400 * time.Millisecond)
	if n, err := s.Size(ctx); err != nil || n != 0 {
		t.Fatalf("Size after expiry = %d, %v", n, err)
	}
	if d, err := s.TTL(ctx); err != nil || d != runtime.NoKey {
		t.Fatalf("TTL after expiry = %v, %v", d, err)
	}
	if ok, err := s.Contains(ctx, "a"); err != nil || ok {
		t.Fatalf("Contains after expiry = %v, %v", ok, err)
	}
	// The longest Duration ("forever") is a long TTL, not an overflow that
	// deletes the set.
	if _, err := s.Add(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Expire(ctx, time.Duration(math.MaxInt64)); err != nil || !ok {
		t.Fatalf("Expire(MaxInt64) = %v, %v", ok, err)
	}
	if d, err := s.TTL(ctx); err != nil || d < 100*365*24*time.Hour {
		t.Fatalf("TTL after Expire(MaxInt64) = %v, %v", d, err)
	}
	if n, err := s.Size(ctx); err != nil || n != 1 {
		t.Fatalf("Size after Expire(MaxInt64) = %d, %v", n, err)
	}
	// An expiry set by another client beyond what a Duration holds saturates.
	if out, err := srv.CLI("EXPIREAT", "p:ttl", "253402300799"); err != nil || out != "1" { // 9999-12-31
		t.Fatalf("EXPIREAT = %q, %v", out, err)
	}
	if d, err := s.TTL(ctx); err != nil || d != time.Duration(math.MaxInt64) {
		t.Fatalf("TTL of a year-9999 expiry = %v, %v; want the longest Duration", d, err)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := s.Expire(ctx, ttl); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Fatalf("Expire(%v) = %v; want ErrInvalidArgument", ttl, err)
		}
	}
}

func TestSetDBSelection(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	ctx := ctxT(t)
	cm0 := newManager(t, srv, nil)
	cm5 := newManager(t, srv, func(o *runtime.Options) { o.DB = 5 })
	s0 := runtime.NewSet[string](cm0, "test.Set", "dbk", strCodec{})
	s5 := runtime.NewSet[string](cm5, "test.Set", "dbk", strCodec{})
	if _, err := s0.Add(ctx, "zero"); err != nil {
		t.Fatal(err)
	}
	if _, err := s5.Add(ctx, "five", "cinq"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s5.Contains(ctx, "zero"); err != nil || ok {
		t.Fatalf("DB 5 sees DB 0's member: %v, %v", ok, err)
	}
	if n, err := s0.Size(ctx); err != nil || n != 1 {
		t.Fatalf("DB 0 Size = %d, %v", n, err)
	}
	if out, err := srv.CLI("-n", "5", "SCARD", "dbk"); err != nil || out != "2" {
		t.Fatalf("redis-cli -n 5 SCARD = %q, %v", out, err)
	}
	if out, err := srv.CLI("-n", "0", "SMEMBERS", "dbk"); err != nil || out != "zero" {
		t.Fatalf("redis-cli -n 0 SMEMBERS = %q, %v", out, err)
	}
	// Set algebra stays inside the manager's DB.
	o5 := runtime.NewSet[string](cm5, "test.Set", "dbk2", strCodec{})
	if _, err := o5.Add(ctx, "five"); err != nil {
		t.Fatal(err)
	}
	if got, err := s5.Intersect(ctx, o5); err != nil || !slices.Equal(got, []string{"five"}) {
		t.Fatalf("Intersect in DB 5 = %v, %v", got, err)
	}
}
