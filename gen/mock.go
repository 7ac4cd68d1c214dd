package gen

import (
	"fmt"
	"path/filepath"

	"github.com/dave/jennifer/jen"
)

const gomockPath = "go.uber.org/mock/gomock"

// renderMock renders <pkg>mock/<t>_set_mock.go: a go.uber.org/mock mock of
// the set's interface, in the layout mockgen produces, so gomock's
// EXPECT/Return/DoAndReturn work as usual.
func renderMock(l *loaded, st *setType) (File, error) {
	mockPkg := l.pkg.Name + "mock"
	f := jen.NewFilePathName(l.pkg.PkgPath+"/"+mockPkg, mockPkg)
	f.HeaderComment(Header)
	f.ImportName(gomockPath, "gomock")
	f.ImportName(l.pkg.PkgPath, l.pkg.Name)
	f.PackageComment(fmt.Sprintf("Package %s holds gomock mocks of the sets setgen generated in package %s.", mockPkg, l.pkg.Name))
	// The package's name must not be another import's nor a local of the
	// mock's methods that refer to it (ret[0].([]pkg.T)).
	if clash := map[string]bool{"gomock": true, "reflect": true, "context": true, "time": true, "iter": true,
		"mk": true, "ret": true, "ret0": true, "ret1": true, "varargs": true, "a": true, "ctx": true, "members": true,
		"m": true, "ms": true, "others": true, "sources": true, "dst": true, "limit": true, "n": true, "ttl": true}; clash[l.pkg.Name] {
		f.ImportAlias(l.pkg.PkgPath, l.pkg.Name+"pkg")
	}
	qual := func(name string) *jen.Statement { return jen.Qual(l.pkg.PkgPath, name) }
	s := sig{elem: qual(st.name), setType: qual(st.set)}
	mock, rec := "Mock"+st.api, "Mock"+st.api+"MockRecorder"

	f.Commentf("%s is a mock of %s.%s.", mock, l.pkg.Name, st.api)
	f.Type().Id(mock).Struct(
		jen.Id("ctrl").Op("*").Qual(gomockPath, "Controller"),
		jen.Id("recorder").Op("*").Id(rec),
		jen.Id("isgomock").Struct(),
	)
	f.Line()
	f.Commentf("%s is the mock recorder for %s.", rec, mock)
	f.Type().Id(rec).Struct(jen.Id("mock").Op("*").Id(mock))
	f.Line()
	f.Var().Id("_").Add(qual(st.api)).Op("=").Parens(jen.Op("*").Id(mock)).Parens(jen.Nil())
	f.Line()
	f.Commentf("New%s creates a new mock instance.", mock)
	f.Func().Id("New"+mock).Params(jen.Id("ctrl").Op("*").Qual(gomockPath, "Controller")).Op("*").Id(mock).Block(
		jen.Id("mock").Op(":=").Op("&").Id(mock).Values(jen.Dict{jen.Id("ctrl"): jen.Id("ctrl")}),
		jen.Id("mock").Dot("recorder").Op("=").Op("&").Id(rec).Values(jen.Dict{jen.Id("mock"): jen.Id("mock")}),
		jen.Return(jen.Id("mock")),
	)
	f.Line()
	f.Comment("EXPECT returns an object that allows the caller to indicate expected use.")
	f.Func().Params(jen.Id("mk").Op("*").Id(mock)).Id("EXPECT").Params().Op("*").Id(rec).Block(jen.Return(jen.Id("mk").Dot("recorder")))
	f.Line()

	for _, m := range methods {
		var fixed []jen.Code
		var variadic string
		for _, p := range m.params {
			if p.kind == pElems || p.kind == pSets {
				variadic = p.name
			} else {
				fixed = append(fixed, jen.Id(p.name))
			}
		}
		var body []jen.Code
		body = append(body, jen.Id("mk").Dot("ctrl").Dot("T").Dot("Helper").Call())
		callArgs := []jen.Code{jen.Id("mk"), jen.Lit(m.name)}
		if variadic != "" {
			body = append(body,
				jen.Id("varargs").Op(":=").Index().Any().Values(fixed...),
				jen.For(jen.List(jen.Id("_"), jen.Id("a")).Op(":=").Range().Id(variadic)).Block(
					jen.Id("varargs").Op("=").Append(jen.Id("varargs"), jen.Id("a")),
				))
			callArgs = append(callArgs, jen.Id("varargs").Op("..."))
		} else {
			callArgs = append(callArgs, fixed...)
		}
		body = append(body, jen.Id("ret").Op(":=").Id("mk").Dot("ctrl").Dot("Call").Call(callArgs...))
		var rets []jen.Code
		for i, r := range m.results {
			id := jen.Id(fmt.Sprintf("ret%d", i))
			body = append(body, jen.List(id.Clone(), jen.Id("_")).Op(":=").Id("ret").Index(jen.Lit(i)).Assert(s.resultType(r)))
			rets = append(rets, id.Clone())
		}
		body = append(body, jen.Return(rets...))
		f.Commentf("%s mocks base method.", m.name)
		f.Func().Params(jen.Id("mk").Op("*").Id(mock)).Id(m.name).Params(s.params(m)...).Add(results(s.results(m))).Block(body...)
		f.Line()

		// The recorder takes any values (or gomock matchers).
		var rparams []jen.Code
		var rfixed []jen.Code
		for _, p := range m.params {
			if p.name == variadic {
				rparams = append(rparams, jen.Id(p.name).Op("...").Any())
			} else {
				rparams = append(rparams, jen.Id(p.name).Any())
				rfixed = append(rfixed, jen.Id(p.name))
			}
		}
		rbody := []jen.Code{jen.Id("mr").Dot("mock").Dot("ctrl").Dot("T").Dot("Helper").Call()}
		mt := jen.Qual("reflect", "TypeOf").Call(jen.Parens(jen.Op("*").Id(mock)).Parens(jen.Nil()).Dot(m.name))
		if variadic != "" {
			rbody = append(rbody,
				jen.Id("varargs").Op(":=").Append(jen.Index().Any().Values(rfixed...), jen.Id(variadic).Op("...")),
				jen.Return(jen.Id("mr").Dot("mock").Dot("ctrl").Dot("RecordCallWithMethodType").Call(
					jen.Id("mr").Dot("mock"), jen.Lit(m.name), mt, jen.Id("varargs").Op("..."))))
		} else {
			rbody = append(rbody, jen.Return(jen.Id("mr").Dot("mock").Dot("ctrl").Dot("RecordCallWithMethodType").Call(
				append([]jen.Code{jen.Id("mr").Dot("mock"), jen.Lit(m.name), mt}, rfixed...)...)))
		}
		f.Commentf("%s indicates an expected call of %s.", m.name, m.name)
		f.Func().Params(jen.Id("mr").Op("*").Id(rec)).Id(m.name).Params(rparams...).Op("*").Qual(gomockPath, "Call").Block(rbody...)
		f.Line()
	}
	return render(f, filepath.Join(l.dir, mockPkg, snake(st.name)+"_set_mock.go"))
}
