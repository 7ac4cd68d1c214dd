package runtime_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
	"github.com/setgen/setgen/runtime/setmock"
)

// TestSetAPIIsTheSetsMethodSet: SetAPI, and so every generated …SetAPI
// and mock, lists exactly the exported methods of *Set: a method added to
// the core is on every generated type after go generate, or this fails.
func TestSetAPIIsTheSetsMethodSet(t *testing.T) {
	names := func(t reflect.Type) []string {
		var out []string
		for i := range t.NumMethod() {
			out = append(out, t.Method(i).Name)
		}
		slices.Sort(out)
		return out
	}
	api, set := names(reflect.TypeFor[runtime.SetAPI[string]]()), names(reflect.TypeFor[*runtime.Set[string]]())
	if !slices.Equal(api, set) {
		t.Fatalf("SetAPI has %v;\n*Set has %v", api, set)
	}
	mock := names(reflect.TypeFor[*setmock.MockSetAPI[string]]())
	for _, m := range api {
		if !slices.Contains(mock, m) {
			t.Errorf("the mock lacks %s: run go generate ./runtime", m)
		}
	}
}

// TestMockOperands: a mock is a valid operand type, and the real set
// refuses it (it has no key on this server) with ErrInvalidArgument,
// without a panic or any network I/O.
func TestMockOperands(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	s := runtime.NewSet[string](cm, "test.StrSet", "k", strCodec{})
	m := setmock.NewMockSetAPI[string](gomock.NewController(t))
	ctx := ctxT(t)
	if _, err := s.Union(ctx, m); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("Union with a mock = %v; want ErrInvalidArgument", err)
	}
	if _, err := s.Move(ctx, m, "x"); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("Move to a mock = %v; want ErrInvalidArgument", err)
	}
	if _, err := s.IntersectStore(ctx, nil); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("IntersectStore(nil) = %v; want ErrInvalidArgument", err)
	}
}

// TestNilSetNamesItsType: a nil generated set names its type in errors.
func TestNilSetNamesItsType(t *testing.T) {
	var users *testtypes.UserSet
	_, err := users.Size(context.Background())
	if want := "testtypes.UserSet().Size: setgen: invalid argument: nil *testtypes.UserSet"; err == nil || err.Error() != want {
		t.Fatalf("nil set: %v; want %s", err, want)
	}
	var plain *runtime.Set[string]
	if _, err := plain.Size(context.Background()); err == nil || err.Error() != "runtime.Set[string]().Size: setgen: invalid argument: nil *runtime.Set[string]" {
		t.Fatalf("nil runtime.Set[string]: %v", err)
	}
}

// TestTTLSetAPIIsTheTTLSetsMethodSet: as for SetAPI.
func TestTTLSetAPIIsTheTTLSetsMethodSet(t *testing.T) {
	names := func(t reflect.Type) []string {
		var out []string
		for i := range t.NumMethod() {
			out = append(out, t.Method(i).Name)
		}
		slices.Sort(out)
		return out
	}
	api, set := names(reflect.TypeFor[runtime.TTLSetAPI[string]]()), names(reflect.TypeFor[*runtime.TTLSet[string]]())
	if !slices.Equal(api, set) {
		t.Fatalf("TTLSetAPI has %v;\n*TTLSet has %v", api, set)
	}
	mock := names(reflect.TypeFor[*setmock.MockTTLSetAPI[string]]())
	for _, m := range api {
		if !slices.Contains(mock, m) {
			t.Errorf("the mock lacks %s: run go generate ./runtime", m)
		}
	}
}
