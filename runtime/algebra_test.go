package runtime_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

func modelUnion(sets ...intSet) intSet {
	out := intSet{}
	for _, s := range sets {
		for x := range s {
			out[x] = true
		}
	}
	return out
}

func modelInter(first intSet, rest ...intSet) intSet {
	out := intSet{}
next:
	for x := range first {
		for _, s := range rest {
			if !s[x] {
				continue next
			}
		}
		out[x] = true
	}
	return out
}

func modelDiff(first intSet, rest ...intSet) intSet {
	out := intSet{}
	for x := range first {
		out[x] = true
	}
	for _, s := range rest {
		for x := range s {
			delete(out, x)
		}
	}
	return out
}

func randomSet(rng *rand.Rand, universe int, p float64) intSet {
	out := intSet{}
	for i := range universe {
		if rng.Float64() < p {
			out[i] = true
		}
	}
	return out
}

func TestSetAlgebra(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.KeyPrefix = "alg:" })
	t.Run("string", func(t *testing.T) { testAlgebra(t, cm, strKind) })
	t.Run("item", func(t *testing.T) { testAlgebra(t, cm, itemKind) })
}

func testAlgebra[T any](t *testing.T, cm *runtime.ConnectionManager, k elemKind[T]) {
	ctx := ctxT(t)
	rng := rand.New(rand.NewPCG(7, uint64(len(k.name))))
	newSet := func(name string, m intSet) *runtime.Set[T] {
		s := runtime.NewSet(cm, "test.Set", k.name+":"+name, k.codec)
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		if len(m) > 0 {
			if n, err := s.Add(ctx, mkAll(k, m.sorted())...); err != nil || n != int64(len(m)) {
				t.Fatalf("Add %s = %d, %v", name, n, err)
			}
		}
		return s
	}
	ma, mb, mc := randomSet(rng, 300, 0.5), randomSet(rng, 300, 0.3), randomSet(rng, 300, 0.6)
	me := intSet{}
	a, b, c, e := newSet("a", ma), newSet("b", mb), newSet("c", mc), newSet("e", me)

	type sets = []runtime.SetAPI[T]
	reads := []struct {
		name  string
		run   func() ([]T, error)
		model intSet
	}{
		{"Union()", func() ([]T, error) { return a.Union(ctx) }, ma},
		{"Intersect()", func() ([]T, error) { return a.Intersect(ctx) }, ma},
		{"Diff()", func() ([]T, error) { return a.Diff(ctx) }, ma},
		{"Union(b)", func() ([]T, error) { return a.Union(ctx, b) }, modelUnion(ma, mb)},
		{"Union(b,c)", func() ([]T, error) { return a.Union(ctx, b, c) }, modelUnion(ma, mb, mc)},
		{"Union(a)", func() ([]T, error) { return a.Union(ctx, a) }, ma},
		{"e.Union(a)", func() ([]T, error) { return e.Union(ctx, a) }, ma},
		{"Intersect(b)", func() ([]T, error) { return a.Intersect(ctx, b) }, modelInter(ma, mb)},
		{"Intersect(b,c)", func() ([]T, error) { return a.Intersect(ctx, b, c) }, modelInter(ma, mb, mc)},
		{"Intersect(e)", func() ([]T, error) { return a.Intersect(ctx, e) }, me},
		{"Diff(b)", func() ([]T, error) { return a.Diff(ctx, b) }, modelDiff(ma, mb)},
		{"Diff(b,c)", func() ([]T, error) { return a.Diff(ctx, b, c) }, modelDiff(ma, mb, mc)},
		{"c.Diff(a,b)", func() ([]T, error) { return c.Diff(ctx, a, b) }, modelDiff(mc, ma, mb)},
		{"Diff(e)", func() ([]T, error) { return a.Diff(ctx, e) }, ma},
		{"e.Diff(a)", func() ([]T, error) { return e.Diff(ctx, a) }, me},
		{"Diff(a)", func() ([]T, error) { return a.Diff(ctx, a) }, me},
	}
	for _, r := range reads {
		got, err := r.run()
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		wantSame(t, k, r.name, got, r.model)
	}

	// Store variants replace the destination, whatever it held.
	d := newSet("d", intSet{1000: true, 1001: true})
	stores := []struct {
		name  string
		run   func() (int64, error)
		model intSet
	}{
		{"UnionStore(a,b)", func() (int64, error) { return d.UnionStore(ctx, a, b) }, modelUnion(ma, mb)},
		{"UnionStore(a,b,c)", func() (int64, error) { return d.UnionStore(ctx, a, b, c) }, modelUnion(ma, mb, mc)},
		{"IntersectStore(a,b)", func() (int64, error) { return d.IntersectStore(ctx, a, b) }, modelInter(ma, mb)},
		{"IntersectStore(a,b,c)", func() (int64, error) { return d.IntersectStore(ctx, a, b, c) }, modelInter(ma, mb, mc)},
		{"DiffStore(a,b)", func() (int64, error) { return d.DiffStore(ctx, a, b) }, modelDiff(ma, mb)},
		{"DiffStore(c,a,b)", func() (int64, error) { return d.DiffStore(ctx, c, a, b) }, modelDiff(mc, ma, mb)},
		{"UnionStore(a)", func() (int64, error) { return d.UnionStore(ctx, a) }, ma},
		{"IntersectStore(a)", func() (int64, error) { return d.IntersectStore(ctx, a) }, ma},
		{"DiffStore(a)", func() (int64, error) { return d.DiffStore(ctx, a) }, ma},
		{"UnionStore(d,b)", func() (int64, error) { return d.UnionStore(ctx, d, b) }, modelUnion(ma, mb)},
		{"IntersectStore(a,e)", func() (int64, error) { return d.IntersectStore(ctx, a, e) }, me},
		{"UnionStore(b)", func() (int64, error) { return d.UnionStore(ctx, b) }, mb},
		{"UnionStore()", func() (int64, error) { return d.UnionStore(ctx) }, me},
	}
	for _, s := range stores {
		n, err := s.run()
		if err != nil || n != int64(len(s.model)) {
			t.Fatalf("%s = %d, %v; want %d", s.name, n, err, len(s.model))
		}
		got, err := d.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantSame(t, k, s.name+": destination", got, s.model)
		// The cached view of the destination follows at once.
		probe := mkAll(k, intRange(0, 300).sorted())
		found, err := d.ContainsMany(ctx, probe...)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range found {
			if f != s.model[i] {
				t.Fatalf("%s: ContainsMany(%d) = %v after the store", s.name, i, f)
			}
		}
	}
	if d, err := d.TTL(ctx); err != nil || d != runtime.NoKey {
		t.Fatalf("empty store result left a key: TTL %v, %v", d, err)
	}
	for name, run := range map[string]func() (int64, error){
		"IntersectStore()": func() (int64, error) { return d.IntersectStore(ctx) },
		"DiffStore()":      func() (int64, error) { return d.DiffStore(ctx) },
	} {
		if _, err := run(); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Fatalf("%s = %v; want ErrInvalidArgument", name, err)
		}
	}
	// The sources are untouched by all of this.
	for name, m := range map[string]intSet{"a": ma, "b": mb, "c": mc} {
		src := runtime.NewSet(cm, "test.Set", k.name+":"+name, k.codec)
		got, err := src.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantSame(t, k, "source "+name, got, m)
	}

	// IntersectSize, with and without a limit.
	inter := len(modelInter(ma, mb, mc))
	for _, tc := range []struct {
		limit  int64
		others sets
		want   int
	}{
		{0, sets{b, c}, inter},
		{1, sets{b, c}, min(1, inter)},
		{5, sets{b, c}, min(5, inter)},
		{int64(inter), sets{b, c}, inter},
		{1 << 40, sets{b, c}, inter},
		{0, sets{b}, len(modelInter(ma, mb))},
		{0, nil, len(ma)},
		{3, nil, 3},
		{0, sets{e}, 0},
		{0, sets{a}, len(ma)},
	} {
		n, err := a.IntersectSize(ctx, tc.limit, tc.others...)
		if err != nil || n != int64(tc.want) {
			t.Fatalf("IntersectSize(limit %d, %d others) = %d, %v; want %d", tc.limit, len(tc.others), n, err, tc.want)
		}
	}
	if _, err := a.IntersectSize(ctx, -1, b); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("IntersectSize(-1) = %v", err)
	}

	// Move.
	src := newSet("msrc", intSet{1: true, 2: true, 3: true})
	dst := newSet("mdst", intSet{3: true, 9: true})
	ms, md := intSet{1: true, 2: true, 3: true}, intSet{3: true, 9: true}
	moves := []struct {
		id   int
		want bool
	}{{1, true}, {3, true}, {1, false}, {42, false}, {9, false}}
	for _, mv := range moves {
		ok, err := src.Move(ctx, dst, k.mk(mv.id))
		if err != nil || ok != mv.want {
			t.Fatalf("Move(%d) = %v, %v; want %v", mv.id, ok, err, mv.want)
		}
		if ms[mv.id] {
			delete(ms, mv.id)
			md[mv.id] = true
		}
		for _, side := range []struct {
			s *runtime.Set[T]
			m intSet
		}{{src, ms}, {dst, md}} {
			got, err := side.s.Members(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantSame(t, k, "after Move", got, side.m)
			if ok, err := side.s.Contains(ctx, k.mk(mv.id)); err != nil || ok != side.m[mv.id] {
				t.Fatalf("Contains(%d) after Move = %v, %v", mv.id, ok, err)
			}
		}
	}
	if ok, err := src.Move(ctx, src, k.mk(2)); err != nil || !ok {
		t.Fatalf("Move to itself = %v, %v", ok, err)
	}
	if got, err := src.Members(ctx); err != nil {
		t.Fatal(err)
	} else {
		wantSame(t, k, "after Move to itself", got, ms)
	}
}
