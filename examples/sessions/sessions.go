// Package sessions is a user session manager, designed so that it works:
// storing a whole session record and then looking up a bare id can never
// match. Here the set of active sessions holds their ids
// (raw strings, so IsActive is one cached SISMEMBER), and each session's
// details live in a set of its own that expires with the session.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/setgen/setgen/runtime"
)

// SessionID identifies a session.
type SessionID string

// Session is what is known about an active session.
type Session struct {
	ID       SessionID         `msgpack:"id"`
	UserData map[string]string `msgpack:"user_data"`
	Started  time.Time         `msgpack:"started"`
}

//go:generate go run github.com/setgen/setgen/cmd/setgen -type=SessionID,Session -mock

// ActiveKey is the key of the set of active session ids.
const ActiveKey = "active_sessions"

// DetailsKey is the key of a session's details.
func DetailsKey(id SessionID) string { return "session:" + string(id) }

// Manager tracks active sessions.
type Manager struct {
	active  SessionIDSetAPI
	details func(id SessionID) SessionSetAPI
	ttl     time.Duration
	now     func() time.Time
}

// NewManager returns a Manager storing sessions through cm; a session's
// details expire ttl after it was added (0: never).
func NewManager(cm *runtime.ConnectionManager, ttl time.Duration) *Manager {
	return NewManagerWithSets(NewSessionIDSet(cm, ActiveKey),
		func(id SessionID) SessionSetAPI { return NewSessionSet(cm, DetailsKey(id)) }, ttl, time.Now)
}

// NewManagerWithSets returns a Manager over the given sets (e.g. mocks from
// package sessionsmock) and clock.
func NewManagerWithSets(active SessionIDSetAPI, details func(SessionID) SessionSetAPI, ttl time.Duration, now func() time.Time) *Manager {
	return &Manager{active: active, details: details, ttl: ttl, now: now}
}

// AddSession records an active session. Its details are written before it
// is marked active, so an active id always has details.
func (m *Manager) AddSession(ctx context.Context, id SessionID, userData map[string]string) error {
	if id == "" {
		return errors.New("sessions: empty session id")
	}
	d := m.details(id)
	if err := d.Clear(ctx); err != nil {
		return err
	}
	if _, err := d.Add(ctx, Session{ID: id, UserData: userData, Started: m.now()}); err != nil {
		return err
	}
	if m.ttl > 0 {
		if _, err := d.Expire(ctx, m.ttl); err != nil {
			return err
		}
	}
	_, err := m.active.Add(ctx, id)
	return err
}

// RemoveSession ends a session: it is unmarked first, then its details go.
func (m *Manager) RemoveSession(ctx context.Context, id SessionID) error {
	if _, err := m.active.Remove(ctx, id); err != nil {
		return err
	}
	return m.details(id).Clear(ctx)
}

// IsActive reports whether a session is active.
func (m *Manager) IsActive(ctx context.Context, id SessionID) (bool, error) {
	return m.active.Contains(ctx, id)
}

// GetActiveSessions returns every active session with its details. An
// active id whose details have expired is dropped from the active set.
func (m *Manager) GetActiveSessions(ctx context.Context) ([]Session, error) {
	ids, err := m.active.Members(ctx)
	if err != nil {
		return nil, err
	}
	var out []Session
	for _, id := range ids {
		ss, err := m.details(id).Members(ctx)
		if err != nil {
			return nil, fmt.Errorf("sessions: details of %s: %w", id, err)
		}
		if len(ss) == 0 {
			if _, err := m.active.Remove(ctx, id); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, ss...)
	}
	return out, nil
}
