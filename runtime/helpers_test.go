package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
)

// strCodec is the generated codec of a named string type (stored as its
// raw bytes), used for plain strings.
type strCodec struct{}

func (strCodec) Append(b []byte, v *string) ([]byte, error) {
	return testtypes.StrCodec{}.Append(b, (*testtypes.Str)(v))
}

func (strCodec) Decode(src []byte, v *string) error {
	return testtypes.StrCodec{}.Decode(src, (*testtypes.Str)(v))
}

// item is a small struct with a generated codec.
type (
	item      = testtypes.Item
	itemCodec = testtypes.ItemCodec
)

func newManager(t testing.TB, srv *redistest.Server, mod func(*runtime.Options)) *runtime.ConnectionManager {
	t.Helper()
	o := runtime.Options{Addrs: []string{srv.Addr}, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	cm, err := runtime.NewConnectionManager(o)
	if err != nil {
		t.Fatalf("NewConnectionManager: %v", err)
	}
	t.Cleanup(cm.Close)
	return cm
}

// testServer is the software the tests run against (the binary
// redistest starts, see redistest.ServerEnv): its name in Health and the
// start of its version.
func testServer() (name, version string) {
	if strings.HasPrefix(redistest.ServerName(), "valkey") {
		return "valkey", "8."
	}
	return "redis", "7."
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// lostWrites reads set's members and returns them, and how many of acked
// (members whose Add returned nil) are not among them.
func lostWrites(t *testing.T, set *runtime.Set[string], acked []string) (have map[string]bool, lost int) {
	t.Helper()
	members, err := set.Members(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	have = make(map[string]bool, len(members))
	for _, m := range members {
		have[m] = true
	}
	for _, m := range acked {
		if !have[m] {
			lost++
		}
	}
	return have, lost
}
