package tags_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/alicebob/miniredis/v2"

	"github.com/setgen/setgen/examples/tags"
	"github.com/setgen/setgen/runtime"
)

// The tag system, on an embedded Redis.
func ExampleTagSystem() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	// miniredis cannot track keys and answers cluster commands.
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{mr.Addr()}, DisableCache: true, ForceSingleNode: true})
	if err != nil {
		panic(err)
	}
	defer cm.Close()
	ctx := context.Background()

	ts := tags.NewTagSystem(cm)
	ts.AddTags(ctx, "post1", "python", "redis", "database")
	ts.AddTags(ctx, "post2", "python", "async", "database")
	common, _ := ts.FindCommonTags(ctx, "post1", "post2")
	slices.Sort(common)
	fmt.Println(common)
	// Output: [database python]
}

// Sets of a named string type are stored as raw bytes, so a set can be
// shared with redis-cli or programs in other languages.
func ExampleNewTagSet() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{mr.Addr()}, DisableCache: true, ForceSingleNode: true})
	if err != nil {
		panic(err)
	}
	defer cm.Close()
	ctx := context.Background()

	mr.SAdd("item:post9:tags", "written-elsewhere")
	s := tags.NewTagSet(cm, "item:post9:tags")
	ok, _ := s.Contains(ctx, "written-elsewhere")
	fmt.Println(ok)
	// Output: true
}
