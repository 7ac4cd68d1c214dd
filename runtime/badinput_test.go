package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
	"github.com/setgen/setgen/runtime/codec"
)

// setOps calls every method of s once (others and dst are the second
// operand where one is needed) and returns each error by method name.
func setOps[T any](ctx context.Context, s, other *runtime.Set[T], m T) map[string]func() error {
	return map[string]func() error{
		"Add":            func() error { _, err := s.Add(ctx, m); return err },
		"Remove":         func() error { _, err := s.Remove(ctx, m); return err },
		"Contains":       func() error { _, err := s.Contains(ctx, m); return err },
		"ContainsMany":   func() error { _, err := s.ContainsMany(ctx, m, m); return err },
		"Members":        func() error { _, err := s.Members(ctx); return err },
		"Size":           func() error { _, err := s.Size(ctx); return err },
		"Clear":          func() error { return s.Clear(ctx) },
		"Union":          func() error { _, err := s.Union(ctx, other); return err },
		"Intersect":      func() error { _, err := s.Intersect(ctx, other); return err },
		"Diff":           func() error { _, err := s.Diff(ctx, other); return err },
		"UnionStore":     func() error { _, err := s.UnionStore(ctx, other); return err },
		"IntersectStore": func() error { _, err := s.IntersectStore(ctx, other); return err },
		"DiffStore":      func() error { _, err := s.DiffStore(ctx, other); return err },
		"IntersectSize":  func() error { _, err := s.IntersectSize(ctx, 0, other); return err },
		"Pop":            func() error { _, err := s.Pop(ctx, 1); return err },
		"Random":         func() error { _, err := s.Random(ctx, 1); return err },
		"Move":           func() error { _, err := s.Move(ctx, other, m); return err },
		"Expire":         func() error { _, err := s.Expire(ctx, time.Minute); return err },
		"TTL":            func() error { _, err := s.TTL(ctx); return err },
		"All": func() error {
			var first error
			n := 0
			for _, err := range s.All(ctx) {
				n++
				if err != nil && first == nil {
					first = err
				}
			}
			if first != nil && n != 1 {
				return fmt.Errorf("All yielded %d times around a call error: %w", n, first)
			}
			return first
		},
	}
}

// noPanic runs f and turns a panic into a test failure.
func noPanic(t *testing.T, what string, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", what, r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func wantBreakerClosed(t *testing.T, cm *runtime.ConnectionManager) {
	t.Helper()
	h := cm.Health(context.Background())
	if h.CircuitBreaker.State != "closed" || h.CircuitBreaker.FailureCount != 0 || h.Status != runtime.StatusHealthy {
		t.Fatalf("Health after bad input: status %s, breaker %+v, error %q", h.Status, h.CircuitBreaker, h.Error)
	}
}

func TestBadArguments(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.BreakerThreshold = 2 })
	cm2 := newManager(t, srv, nil)
	ctx := ctxT(t)
	good := runtime.NewSet[string](cm, "test.S", "good", strCodec{})
	if _, err := good.Add(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	var nilSet *runtime.Set[string]
	bad := map[string]*runtime.Set[string]{
		"empty key":   runtime.NewSet[string](cm, "test.S", "", strCodec{}),
		"nil manager": runtime.NewSet[string](nil, "test.S", "k", strCodec{}),
		"nil codec":   runtime.NewSet[string](cm, "test.S", "k", nil),
		"nil set":     nilSet,
	}
	for name, s := range bad {
		for op, f := range setOps(ctx, s, good, "x") {
			err := noPanic(t, name+" "+op, f)
			if !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Errorf("%s: %s = %v; want ErrInvalidArgument", name, op, err)
			}
			var oe *runtime.OpError
			if !errors.As(err, &oe) || oe.Op != op {
				t.Errorf("%s: %s error is not an OpError naming %s: %v", name, op, op, err)
			}
		}
		// The bad set as the second operand.
		for op, f := range setOps(ctx, good, s, "x") {
			switch op {
			case "Union", "Intersect", "Diff", "UnionStore", "IntersectStore", "DiffStore", "IntersectSize", "Move":
				if err := noPanic(t, name+" as operand of "+op, f); !errors.Is(err, runtime.ErrInvalidArgument) {
					t.Errorf("%s as operand: %s = %v; want ErrInvalidArgument", name, op, err)
				}
			}
		}
	}
	if nilSet.Key() != "" || nilSet.Manager() != nil {
		t.Errorf("nil set: Key %q, Manager %v", nilSet.Key(), nilSet.Manager())
	}
	if _, err := good.Move(ctx, nil, "x"); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("Move to nil = %v", err)
	}
	if _, err := good.Union(ctx, good, nil); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("Union with a nil other = %v", err)
	}

	// Sets of another manager (even on the same server) cannot be mixed.
	foreign := runtime.NewSet[string](cm2, "test.S", "foreign", strCodec{})
	for op, f := range setOps(ctx, good, foreign, "x") {
		switch op {
		case "Union", "Intersect", "Diff", "UnionStore", "IntersectStore", "DiffStore", "IntersectSize", "Move":
			err := noPanic(t, "foreign "+op, f)
			if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), "another ConnectionManager") {
				t.Errorf("foreign set: %s = %v; want ErrInvalidArgument", op, err)
			}
		}
	}
	if _, err := good.Union(ctx, good, foreign); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("Union with a foreign second other = %v", err)
	}

	// Counts, durations and limits.
	for _, n := range []int64{0, -1, -1 << 62} {
		if _, err := good.Pop(ctx, n); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("Pop(%d) = %v", n, err)
		}
		if _, err := good.Random(ctx, n); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("Random(%d) = %v", n, err)
		}
	}
	for _, d := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
		if _, err := good.Expire(ctx, d); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("Expire(%v) = %v", d, err)
		}
	}
	if _, err := good.IntersectSize(ctx, -5); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("IntersectSize(-5) = %v", err)
	}
	for _, op := range []func() (int64, error){
		func() (int64, error) { return good.IntersectStore(ctx) },
		func() (int64, error) { return good.DiffStore(ctx) },
	} {
		if _, err := op(); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("store with no sources = %v", err)
		}
	}

	// A cancelled context, and a nil one.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for op, f := range setOps(cancelled, good, good, "x") {
		if err := noPanic(t, "cancelled "+op, f); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %s = %v", op, err)
		}
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for op, f := range setOps(expired, good, good, "x") {
		if err := noPanic(t, "expired "+op, f); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("expired context: %s = %v", op, err)
		}
	}
	var nilCtx context.Context
	for op, f := range setOps(nilCtx, good, good, "x") {
		if err := noPanic(t, "nil context "+op, f); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("nil context: %s = %v", op, err)
		}
	}

	// A codec that cannot encode.
	failing := runtime.NewSet[string](cm, "test.S", "good", failingCodec{})
	for op, f := range setOps(ctx, failing, failing, "x") {
		switch op {
		case "Add", "Remove", "Contains", "ContainsMany", "Move":
			if err := noPanic(t, "encode "+op, f); !errors.Is(err, runtime.ErrEncode) || !strings.Contains(err.Error(), "cannot encode x") {
				t.Errorf("failing codec: %s = %v; want ErrEncode", op, err)
			}
		}
	}

	// None of it reached the breaker, and nothing changed on the server.
	wantBreakerClosed(t, cm)
	if out, err := srv.CLI("SMEMBERS", "good"); err != nil || out != "x" {
		t.Fatalf("SMEMBERS good = %q, %v", out, err)
	}
	if out, _ := srv.CLI("DBSIZE"); out != "1" {
		t.Fatalf("DBSIZE = %s: bad calls wrote keys", out)
	}

	// A closed manager.
	cm3 := newManager(t, srv, nil)
	s3 := runtime.NewSet[string](cm3, "test.S", "good", strCodec{})
	cm3.Close()
	for op, f := range setOps(ctx, s3, s3, "x") {
		if err := noPanic(t, "closed "+op, f); !errors.Is(err, runtime.ErrClosed) {
			t.Errorf("closed manager: %s = %v", op, err)
		}
	}
}

type failingCodec struct{}

func (failingCodec) Append(b []byte, v *string) ([]byte, error) {
	return b, errors.New("cannot encode " + *v)
}
func (failingCodec) Decode(src []byte, v *string) error { *v = string(src); return nil }

func TestWrongTypeKey(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.BreakerThreshold = 2 })
	ctx := ctxT(t)
	if out, err := srv.CLI("SET", "wt", "a string"); err != nil || out != "OK" {
		t.Fatalf("SET = %q, %v", out, err)
	}
	wt := runtime.NewSet[string](cm, "test.S", "wt", strCodec{})
	good := runtime.NewSet[string](cm, "test.S", "good", strCodec{})
	if _, err := good.Add(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	wantWrongType := func(what, key string, err error) {
		t.Helper()
		var re *rueidis.RedisError
		if !errors.As(err, &re) || !strings.HasPrefix(re.Error(), "WRONGTYPE") {
			t.Errorf("%s = %v; want a WRONGTYPE RedisError", what, err)
			return
		}
		var oe *runtime.OpError
		if !errors.As(err, &oe) || oe.Key != key {
			t.Errorf("%s: error does not name the key: %v", what, err)
		}
	}
	for round := range 3 { // well past the breaker threshold of 2
		for op, f := range setOps(ctx, wt, good, "x") {
			switch op {
			case "Clear", "Expire", "TTL", "UnionStore", "IntersectStore", "DiffStore":
				continue // valid on any type: they would destroy or change the string
			}
			wantWrongType(fmt.Sprintf("round %d: %s", round, op), "wt", noPanic(t, op, f))
		}
		for op, f := range setOps(ctx, good, wt, "x") {
			switch op {
			case "Union", "Intersect", "Diff", "IntersectSize", "Move":
				wantWrongType(fmt.Sprintf("round %d: good.%s(wt)", round, op), "good", noPanic(t, op, f))
			}
		}
	}
	if d, err := wt.TTL(ctx); err != nil || d != runtime.NoExpiry {
		t.Errorf("TTL of the string key = %v, %v", d, err)
	}
	wantBreakerClosed(t, cm)
	if out, _ := srv.CLI("GET", "wt"); out != "a string" {
		t.Fatalf("the string key changed: %q", out)
	}
	if out, _ := srv.CLI("SMEMBERS", "good"); out != "x" {
		t.Fatalf("the good set changed: %q", out)
	}
	// The manager still works.
	if ok, err := good.Contains(ctx, "x"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
}

// decodeErrors collects every *DecodeError in err's tree.
func decodeErrors(err error) []*runtime.DecodeError {
	var out []*runtime.DecodeError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if de, ok := e.(*runtime.DecodeError); ok {
			out = append(out, de)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// msgpackOf concatenates pieces of MessagePack built with runtime/codec's
// primitives.
func msgpackOf(parts ...[]byte) string { return string(bytes.Join(parts, nil)) }

func TestBadStoredData(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.KeyPrefix = "app:"; o.BreakerThreshold = 2 })
	ctx := ctxT(t)
	const key = "app:bad"
	s := runtime.NewSet[item](cm, "test.ItemSet", "bad", itemCodec{})
	goodModel := intRange(0, 5)
	if _, err := s.Add(ctx, mkAll(itemKind, goodModel.sorted())...); err != nil {
		t.Fatal(err)
	}
	validB, err := itemCodec{}.Append(nil, &item{ID: "v", Tags: map[string]int{"a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	valid := string(validB)
	badMembers := map[string]string{
		"garbage": "\xc1\xc1garbage\xff",
		"empty":   "",
		"unknown field": msgpackOf(codec.AppendMapHeader(nil, 2), codec.AppendString(nil, "id"), codec.AppendString(nil, "x"),
			codec.AppendString(nil, "zzz"), codec.AppendInt(nil, 1)),
		"a string":       msgpackOf(codec.AppendString(nil, "hello")),
		"trailing bytes": valid + "!",
		"truncated":      valid[:len(valid)-2],
		"long garbage":   "\xc1" + strings.Repeat("z", 200),
		"wrong kind":     msgpackOf(codec.AppendMapHeader(nil, 1), codec.AppendString(nil, "id"), codec.AppendInt(nil, 42)),
		"keys out of order": msgpackOf(codec.AppendMapHeader(nil, 2), codec.AppendString(nil, "tags"), codec.AppendMapHeader(nil, 1),
			codec.AppendString(nil, "a"), codec.AppendInt(nil, 1), codec.AppendString(nil, "id"), codec.AppendString(nil, "w")),
		"zero field present": msgpackOf(codec.AppendMapHeader(nil, 1), codec.AppendString(nil, "id"), codec.AppendString(nil, "")),
	}
	for name, m := range badMembers {
		if strings.IndexByte(m, 0) >= 0 {
			t.Fatalf("%s holds a NUL byte: redis-cli cannot pass it", name)
		}
		if out, err := srv.CLI("SADD", key, m); err != nil || out != "1" {
			t.Fatalf("redis-cli SADD %s = %q, %v", name, out, err)
		}
	}
	// And one with NUL bytes, written by another client.
	nul := "\x00\x01\x02\x00"
	badMembers["nul bytes"] = nul
	if err := cm.Client().Do(ctx, cm.Client().B().Sadd().Key(key).Member(nul).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	badRaw := map[string]bool{}
	for _, m := range badMembers {
		b := []byte(m)
		badRaw[string(b[:min(len(b), 64)])] = true
	}
	total := fmt.Sprint(len(goodModel) + len(badMembers))
	scard := func() string { out, _ := srv.CLI("SCARD", key); return out }
	if got := scard(); got != total {
		t.Fatalf("SCARD = %s, want %s", got, total)
	}
	checkDecodeErr := func(what string, err error, wantShown int) {
		t.Helper()
		if !errors.Is(err, runtime.ErrDecode) {
			t.Fatalf("%s: err = %v; want ErrDecode", what, err)
		}
		if !strings.Contains(err.Error(), key) {
			t.Fatalf("%s: error does not name the key %s: %v", what, key, err)
		}
		des := decodeErrors(err)
		if len(des) != wantShown {
			t.Fatalf("%s: %d DecodeErrors, want %d: %v", what, len(des), wantShown, err)
		}
		for _, de := range des {
			if de.Key != key || len(de.Member) > 64 || !badRaw[string(de.Member)] || de.Err == nil {
				t.Fatalf("%s: DecodeError %+v", what, de)
			}
		}
	}

	// Members: every good member beside the error, at most 5 shown.
	ms, err := s.Members(ctx)
	wantSame(t, itemKind, "Members with bad data", ms, goodModel)
	checkDecodeErr("Members", err, 5)
	if !strings.Contains(err.Error(), fmt.Sprintf("and %d more", len(badMembers)-5)) {
		t.Fatalf("Members error does not count the rest: %v", err)
	}
	var oe *runtime.OpError
	if !errors.As(err, &oe) || oe.Op != "Members" || oe.Set != "test.ItemSet" {
		t.Fatalf("not an OpError: %v", err)
	}

	// All: every member, good or bad, once; errors do not end it.
	var goods []item
	var errs int
	for v, err := range s.All(ctx) {
		if err != nil {
			checkDecodeErr("All", err, 1)
			errs++
			continue
		}
		goods = append(goods, v)
	}
	wantSame(t, itemKind, "All with bad data", goods, goodModel)
	if errs != len(badMembers) {
		t.Fatalf("All yielded %d errors, want %d", errs, len(badMembers))
	}
	// Breaking at the first error stops the iteration.
	n := 0
	for _, err := range s.All(ctx) {
		n++
		if err != nil {
			break
		}
	}
	if n > len(goodModel)+1 {
		t.Fatalf("All went on after the consumer broke (%d yields)", n)
	}

	// Other reads that return members report the same way.
	other := runtime.NewSet[item](cm, "test.ItemSet", "other", itemCodec{})
	if _, err := other.Add(ctx, mkItem(0), mkItem(100)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Random(ctx, 100)
	wantSame(t, itemKind, "Random", got, goodModel)
	checkDecodeErr("Random", err, 5)
	got, err = s.Union(ctx, other)
	wantSame(t, itemKind, "Union", got, modelUnion(goodModel, intSet{100: true}))
	checkDecodeErr("Union", err, 5)
	got, err = s.Diff(ctx, other)
	wantSame(t, itemKind, "Diff", got, modelDiff(goodModel, intSet{0: true}))
	checkDecodeErr("Diff", err, 5)
	got, err = other.Intersect(ctx, s)
	if err != nil {
		t.Fatalf("Intersect without bad members in the result: %v", err)
	}
	wantSame(t, itemKind, "Intersect", got, intSet{0: true})

	// Writes and membership tests are unaffected.
	if ok, err := s.Contains(ctx, mkItem(3)); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if n, err := s.Size(ctx); err != nil || fmt.Sprint(n) != total {
		t.Fatalf("Size = %d, %v", n, err)
	}

	// Nothing was deleted, and decode errors did not touch the breaker.
	if got := scard(); got != total {
		t.Fatalf("SCARD after reads = %s, want %s: bad members were deleted", got, total)
	}
	wantBreakerClosed(t, cm)

	// The same members read as raw strings (interop): nothing is lost.
	raw := runtime.NewSet[string](cm, "test.RawSet", "bad", strCodec{})
	rs, err := raw.Members(ctx)
	if err != nil || len(rs) != len(goodModel)+len(badMembers) {
		t.Fatalf("raw Members = %d, %v", len(rs), err)
	}
	for name, m := range badMembers {
		if !slices.Contains(rs, m) {
			t.Fatalf("raw Members lacks the %s member", name)
		}
	}

	// Pop of bad members reports them and puts them back: nothing is lost.
	p := runtime.NewSet[item](cm, "test.ItemSet", "popbad", itemCodec{})
	if out, err := srv.CLI("SADD", "app:popbad", "\xc1x", "\xc1y"); err != nil || out != "2" {
		t.Fatalf("SADD = %q, %v", out, err)
	}
	if _, err := p.Add(ctx, mkItem(1)); err != nil {
		t.Fatal(err)
	}
	popped, err := p.Pop(ctx, 10)
	wantSame(t, itemKind, "Pop", popped, intSet{1: true})
	if des := decodeErrors(err); len(des) != 2 || !errors.Is(err, runtime.ErrDecode) {
		t.Fatalf("Pop: %v", err)
	} else {
		shown := []string{string(des[0].Member), string(des[1].Member)}
		slices.Sort(shown)
		if !slices.Equal(shown, []string{"\xc1x", "\xc1y"}) {
			t.Fatalf("Pop errors show %q", shown)
		}
	}
	if out, err := srv.CLI("SCARD", "app:popbad"); err != nil || out != "2" {
		t.Fatalf("after Pop, SCARD = %q, %v; want the 2 bad members put back", out, err)
	}
}

func TestInteropRawStrings(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	if out, err := srv.CLI("SADD", "tags", "go", "redis", "héllo wörld", ""); err != nil || out != "4" {
		t.Fatalf("SADD = %q, %v", out, err)
	}
	s := runtime.NewSet[string](cm, "test.TagSet", "tags", strCodec{})
	got, err := s.Members(ctx)
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{"", "go", "héllo wörld", "redis"}) {
		t.Fatalf("Members = %q, %v", got, err)
	}
	if ok, err := s.Contains(ctx, "héllo wörld"); err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if _, err := s.Add(ctx, "from go"); err != nil {
		t.Fatal(err)
	}
	if out, err := srv.CLI("SISMEMBER", "tags", "from go"); err != nil || out != "1" {
		t.Fatalf("SISMEMBER = %q, %v", out, err)
	}
	seen := map[string]bool{}
	for v, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		seen[v] = true
	}
	if !maps.Equal(seen, map[string]bool{"": true, "go": true, "héllo wörld": true, "redis": true, "from go": true}) {
		t.Fatalf("All = %v", seen)
	}
}
