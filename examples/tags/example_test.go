package tags_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/setgen/setgen/examples/tags"
	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// The examples start a redis-server: not in -short runs.
func TestMain(m *testing.M) {
	flag.Parse()
	redistest.SkipServerExamples("^Example")
	os.Exit(m.Run())
}

// The tag system, on a redis-server started for the example.
func ExampleTagSystem() {
	addr, stop, err := redistest.StartForExample()
	if err != nil {
		panic(err)
	}
	defer stop()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{addr}})
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
	addr, stop, err := redistest.StartForExample()
	if err != nil {
		panic(err)
	}
	defer stop()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{addr}})
	if err != nil {
		panic(err)
	}
	defer cm.Close()
	ctx := context.Background()

	// Another program (redis-cli, Python...) adds a tag as plain bytes.
	c := cm.Client()
	c.Do(ctx, c.B().Sadd().Key("item:post9:tags").Member("written-elsewhere").Build())
	s := tags.NewTagSet(cm, "item:post9:tags")
	ok, _ := s.Contains(ctx, "written-elsewhere")
	fmt.Println(ok)
	// Output: true
}
