// Package users is the "advanced usage" example: sets of structs
// holding times, maps, nested structs and pointers, stored canonically so
// that equal values are one member whatever their maps' order or their
// times' zone.
package users

import "time"

// User is the README's example type: four fields and a map.
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -type=User -mock
type User struct {
	ID     string         `msgpack:"id"`
	Name   string         `msgpack:"name"`
	Joined time.Time      `msgpack:"joined"`
	Scores map[string]int `msgpack:"scores"`
}

// Profile is a richer member: a nested struct, a pointer, a slice, a named
// string and a map of structs.
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -mock
type Profile struct {
	User     User               `msgpack:"user"`
	Role     Role               `msgpack:"role"`
	Manager  *User              `msgpack:"manager"`
	Labels   []string           `msgpack:"labels"`
	Projects map[string]Project `msgpack:"projects"`
	Limits   map[int]float64    `msgpack:"limits"`
	Session  time.Duration      `msgpack:"session"`
}

// Project is nested in Profile.
type Project struct {
	Name  string `msgpack:"name"`
	Stars int32  `msgpack:"stars"`
}

// Role is a named string inside a struct.
type Role string
