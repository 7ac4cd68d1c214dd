// Package tags is a tag system: every item has a set of tags in
// Redis, and items' common tags are a set intersection computed by Redis.
//
// Tags are a named string type, so setgen stores them as their raw bytes:
// a set filled with `redis-cli SADD item:post1:tags go` is read as Tag("go").
package tags

import (
	"context"

	"github.com/setgen/setgen/runtime"
)

// Tag is one tag, e.g. "python".
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -mock
type Tag string

// TagSystem tags items.
type TagSystem struct {
	cm   *runtime.ConnectionManager
	open func(key string) TagSetAPI
}

// NewTagSystem returns a TagSystem storing its sets through cm.
func NewTagSystem(cm *runtime.ConnectionManager) *TagSystem {
	return NewTagSystemWithSets(cm, func(key string) TagSetAPI { return NewTagSet(cm, key) })
}

// NewTagSystemWithSets returns a TagSystem whose sets come from open, e.g.
// mocks from package tagsmock in unit tests.
func NewTagSystemWithSets(cm *runtime.ConnectionManager, open func(key string) TagSetAPI) *TagSystem {
	return &TagSystem{cm: cm, open: open}
}

// ItemKey is the key of an item's tag set.
func ItemKey(itemID string) string { return "item:" + itemID + ":tags" }

// AddTags adds tags to an item and returns how many were new.
func (ts *TagSystem) AddTags(ctx context.Context, itemID string, tags ...Tag) (int64, error) {
	return ts.open(ItemKey(itemID)).Add(ctx, tags...)
}

// RemoveTag removes a tag from an item and reports whether it had it.
func (ts *TagSystem) RemoveTag(ctx context.Context, itemID string, tag Tag) (bool, error) {
	n, err := ts.open(ItemKey(itemID)).Remove(ctx, tag)
	return n == 1, err
}

// GetTags returns an item's tags, in no particular order.
func (ts *TagSystem) GetTags(ctx context.Context, itemID string) ([]Tag, error) {
	return ts.open(ItemKey(itemID)).Members(ctx)
}

// HasTag reports whether an item has a tag (served from the client-side cache).
func (ts *TagSystem) HasTag(ctx context.Context, itemID string, tag Tag) (bool, error) {
	return ts.open(ItemKey(itemID)).Contains(ctx, tag)
}

// FindCommonTags returns the tags two items share.
func (ts *TagSystem) FindCommonTags(ctx context.Context, item1, item2 string) ([]Tag, error) {
	return ts.open(ItemKey(item1)).Intersect(ctx, NewTagSet(ts.cm, ItemKey(item2)))
}
