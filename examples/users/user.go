// Package users is the seed's "advanced usage" example: a set of structs
// with a time, a map and a nested struct, stored canonically so that equal
// users are one member whatever their maps' order.
package users

import "time"

// User is a member of a UserSet.
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -type=User -mock
type User struct {
	ID     string         `msgpack:"id"`
	Name   string         `msgpack:"name"`
	Joined time.Time      `msgpack:"joined"`
	Scores map[string]int `msgpack:"scores"`
	Meta   Metadata       `msgpack:"metadata"`
}

// Metadata is nested in User.
type Metadata struct {
	Role   Role              `msgpack:"role"`
	Labels map[string]string `msgpack:"labels"`
	Tags   []string          `msgpack:"tags"`
	Boss   *User             `msgpack:"boss"`
}

// Role is a named string inside a struct.
type Role string
