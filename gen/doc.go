// Package gen is setgen's generator library: it loads a Go package with
// golang.org/x/tools/go/packages (load.go), builds the codec's model of the
// annotated types and every type they reach: a tree of elems in which every
// encoding decision is resolved (elem.go, model.go); and renders the typed
// set, its canonical codec and, on request, a gomock mock with
// github.com/dave/jennifer (render.go, codec.go, mock.go). The codec's
// emitters each implement one visitor over the elems, so a new kind of elem
// does not compile until every emitter handles it.
//
// Generate works in memory and is deterministic: the same input gives the
// same bytes, and nothing is returned unless every type rendered. Write
// writes only files whose bytes changed.
package gen
