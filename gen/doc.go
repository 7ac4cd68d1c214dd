// Package gen is setgen's generator library: it loads a Go package with
// golang.org/x/tools/go/packages, builds a small model of the annotated
// types and every type their codecs reach (load.go, model.go), validates it,
// and renders the typed set, its canonical codec and, on request, a gomock
// mock with github.com/dave/jennifer (render.go, codec.go, mock.go).
//
// Generate works in memory and is deterministic: the same input gives the
// same bytes, and nothing is returned unless every type rendered. Write
// writes only files whose bytes changed.
package gen
