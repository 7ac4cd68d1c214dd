package runtime_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// testClusterMoveFailures: a cross-slot Move is SREM, then SADD to the
// destination, with the member put back when that add fails. ACL users
// that may not SADD to the destination (but to the source), or may not
// SADD at all, make each step fail for real: the first Move puts the
// member back and says so; the second cannot, and its error says the
// member is in neither set, and which sets.
func testClusterMoveFailures(t *testing.T, c *redistest.Cluster, cm *runtime.ConnectionManager) {
	ctx := ctxT(t)
	keys := keysOnDistinctMasters(t, c, cm, "move:fail:", 2)
	admin := func(key string) *runtime.Set[string] {
		return runtime.NewSet[string](cm, "test.StrSet", key, strCodec{})
	}
	src, dst := admin(keys[0]), admin(keys[1])
	if _, err := src.Add(ctx, "back", "lost"); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Running() {
		for _, acl := range [][]string{
			{"ACL", "SETUSER", "putback", "on", ">pw", "~*", "&*", "+@all", "-sadd", "(+sadd ~" + src.Key() + ")"},
			{"ACL", "SETUSER", "nosadd", "on", ">pw", "~*", "&*", "+@all", "-sadd"},
		} {
			if out, err := n.CLI(acl...); err != nil || out != "OK" {
				t.Fatalf("%v on %s: %v %q", acl, n.Addr, err, out)
			}
		}
	}
	as := func(user string) (*runtime.Set[string], *runtime.Set[string]) {
		m := newClusterManager(t, c, func(o *runtime.Options) {
			o.Username, o.Password = user, "pw"
			o.KeyPrefix = cm.Options().KeyPrefix
		})
		return runtime.NewSet[string](m, "test.StrSet", keys[0], strCodec{}), runtime.NewSet[string](m, "test.StrSet", keys[1], strCodec{})
	}
	members := func(s *runtime.Set[string]) []string {
		got, err := s.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sorted(got)
	}

	// The add to the destination fails; the put-back works.
	s, d := as("putback")
	moved, err := s.Move(ctx, d, "back")
	if moved || err == nil || !strings.Contains(err.Error(), "put back into "+src.Key()) || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("Move with the destination's SADD denied = %v, %v; want the NOPERM and the member put back", moved, err)
	}
	if got := members(src); !slices.Equal(got, []string{"back", "lost"}) {
		t.Fatalf("source after the failed Move: %v, want the member back", got)
	}

	// Both adds fail: the member is in neither set, and the error says so.
	s, d = as("nosadd")
	moved, err = s.Move(ctx, d, "lost")
	var oe *runtime.OpError
	if moved || err == nil || !errors.As(err, &oe) || oe.Op != "Move" ||
		!strings.Contains(err.Error(), "in neither set") || !strings.Contains(err.Error(), src.Key()) || !strings.Contains(err.Error(), dst.Key()) {
		t.Fatalf("Move with every SADD denied = %v, %v; want an error saying the member is in neither set, naming both", moved, err)
	}
	if got := members(src); !slices.Equal(got, []string{"back"}) {
		t.Fatalf("source after the lost Move: %v", got)
	}
	if got := members(dst); len(got) != 0 {
		t.Fatalf("destination after the lost Move: %v", got)
	}
	t.Logf("Move that could not put back: %v", err)
}
