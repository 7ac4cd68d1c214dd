package tags_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/examples/tags"
	"github.com/setgen/setgen/examples/tags/tagsmock"
	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestTagSystemWithMock checks the TagSystem's logic against the generated
// gomock mock: which keys it opens and what it asks of the sets.
func TestTagSystemWithMock(t *testing.T) {
	ctrl := gomock.NewController(t)
	ctx := context.Background()
	sets := map[string]*tagsmock.MockTagSetAPI{}
	open := func(key string) tags.TagSetAPI {
		if sets[key] == nil {
			sets[key] = tagsmock.NewMockTagSetAPI(ctrl)
		}
		return sets[key]
	}
	ts := tags.NewTagSystemWithSets(nil, open)
	post1 := open(tags.ItemKey("post1")).(*tagsmock.MockTagSetAPI)

	post1.EXPECT().Add(gomock.Any(), tags.Tag("go"), tags.Tag("redis")).Return(int64(2), nil)
	if n, err := ts.AddTags(ctx, "post1", "go", "redis"); err != nil || n != 2 {
		t.Fatalf("AddTags = %d, %v", n, err)
	}

	post1.EXPECT().Remove(gomock.Any(), tags.Tag("redis")).Return(int64(0), nil)
	if ok, err := ts.RemoveTag(ctx, "post1", "redis"); err != nil || ok {
		t.Fatalf("RemoveTag of a missing tag = %v, %v; want false", ok, err)
	}

	boom := errors.New("boom")
	post1.EXPECT().Members(gomock.Any()).Return(nil, boom)
	if _, err := ts.GetTags(ctx, "post1"); !errors.Is(err, boom) {
		t.Fatalf("GetTags error = %v, want boom", err)
	}

	post1.EXPECT().Intersect(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, others ...tags.TagSetAPI) ([]tags.Tag, error) {
			if len(others) != 1 || others[0].Key() != tags.ItemKey("post2") {
				t.Errorf("Intersect with %d sets, first key %q; want the set of post2", len(others), others[0].Key())
			}
			return []tags.Tag{"go"}, nil
		})
	common, err := ts.FindCommonTags(ctx, "post1", "post2")
	if err != nil || !slices.Equal(common, []tags.Tag{"go"}) {
		t.Fatalf("FindCommonTags = %v, %v", common, err)
	}
}

// TestTagSystem runs the tagging scenario against a real redis-server.
func TestTagSystem(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ts := tags.NewTagSystem(cm)

	if n, err := ts.AddTags(ctx, "post1", "python", "redis", "database", "python"); err != nil || n != 3 {
		t.Fatalf("AddTags(post1) = %d, %v; want 3 new", n, err)
	}
	if _, err := ts.AddTags(ctx, "post2", "python", "async", "database"); err != nil {
		t.Fatal(err)
	}
	common, err := ts.FindCommonTags(ctx, "post1", "post2")
	slices.Sort(common)
	if err != nil || !slices.Equal(common, []tags.Tag{"database", "python"}) {
		t.Fatalf("FindCommonTags = %v, %v; want [database python]", common, err)
	}
	if ok, err := ts.RemoveTag(ctx, "post1", "redis"); err != nil || !ok {
		t.Fatalf("RemoveTag = %v, %v", ok, err)
	}
	if has, err := ts.HasTag(ctx, "post1", "redis"); err != nil || has {
		t.Fatalf("HasTag(redis) after removal = %v, %v", has, err)
	}
	got, err := ts.GetTags(ctx, "post1")
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []tags.Tag{"database", "python"}) {
		t.Fatalf("GetTags = %v, %v", got, err)
	}

	// Interop: tags are raw bytes, so redis-cli sees and writes plain strings.
	out, err := srv.CLI("SISMEMBER", tags.ItemKey("post1"), "python")
	if err != nil || out != "1" {
		t.Fatalf("redis-cli SISMEMBER = %q, %v", out, err)
	}
	if _, err := srv.CLI("SADD", tags.ItemKey("post3"), "written-by-cli"); err != nil {
		t.Fatal(err)
	}
	got, err = ts.GetTags(ctx, "post3")
	if err != nil || !slices.Equal(got, []tags.Tag{"written-by-cli"}) {
		t.Fatalf("GetTags(post3) = %v, %v", got, err)
	}
}
