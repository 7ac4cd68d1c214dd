package gen

import (
	"strconv"

	"github.com/dave/jennifer/jen"
)

// scope is the one name allocator of the generator: the identifiers of a
// Go scope, which hands out new ones that clash with none declared in it
// or in the scopes around it. Package scope holds the package's own names
// and the ones setgen claims; the generated files' imports are named in a
// scope inside it; locals in one inside that; a codec's methods in one of
// their own. A name taken is never renamed: a new name is derived from
// its base with the first free numeric suffix (model, model2, model3).
type scope struct {
	outer *scope
	names map[string]bool
	bound map[string]string // key -> name, for names asked for by key
}

func newScope(outer *scope, names ...string) *scope {
	s := &scope{outer: outer, names: map[string]bool{}, bound: map[string]string{}}
	for _, n := range names {
		s.names[n] = true
	}
	return s
}

// declared reports whether name is taken here or in a scope around.
func (s *scope) declared(name string) bool {
	for ; s != nil; s = s.outer {
		if s.names[name] {
			return true
		}
	}
	return false
}

// declare takes name as it is.
func (s *scope) declare(name string) { s.names[name] = true }

// fresh declares and returns the first free name of base, base2, base3...
func (s *scope) fresh(base string) string {
	name := base
	for i := 2; s.declared(name); i++ {
		name = base + strconv.Itoa(i)
	}
	s.declare(name)
	return name
}

// name returns the name bound to key, binding a fresh one derived from
// base on first use: the same key always gets the same name.
func (s *scope) name(key, base string) string {
	if n, ok := s.bound[key]; ok {
		return n
	}
	n := s.fresh(base)
	s.bound[key] = n
	return n
}

// locals names the locals of generated functions: a scope inside the
// file's, so a local never shadows a package-level name or an import the
// function refers to. Each base gets one name for all functions.
type locals struct{ s *scope }

func (lv locals) id(base string) *jen.Statement { return jen.Id(lv.s.name(base, base)) }

func (lv locals) num(base string, depth int) *jen.Statement {
	return lv.id(base + strconv.Itoa(depth))
}
