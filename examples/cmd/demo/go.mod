module github.com/setgen/setgen/examples/cmd/demo

go 1.25.0

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/setgen/setgen v0.0.0-00010101000000-000000000000
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/redis/rueidis v1.0.79 // indirect
	github.com/sony/gobreaker/v2 v2.4.0 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	github.com/yuin/gopher-lua v1.1.1 // indirect
	go.opentelemetry.io/otel v1.44.0 // indirect
	go.opentelemetry.io/otel/metric v1.44.0 // indirect
	go.opentelemetry.io/otel/trace v1.44.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

// The demo is in a module of its own so that miniredis, its fallback
// server, never reaches the module graph of setgen's users.
replace github.com/setgen/setgen => ../../..
