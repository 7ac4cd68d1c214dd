// Package bench compares setgen's typed sets with go-redis. It is a
// separate module so that go-redis stays out of setgen's own dependencies;
// run it with `cd internal/bench && go test -run '^$' -bench .`.
package bench
