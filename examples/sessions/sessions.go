// Package sessions is a user session manager on TTL sets: every session
// expires on its own, on the server's clock.
//
// Two TTL sets hold the sessions: the ids of the active ones (IsActive is
// one cached Contains that turns false when the session expires, with no
// round trip) and their records (GetActiveSessions is one read). AddSession
// writes the record, then the id, each in one atomic write that carries the
// session's time to live, so a crash between the two leaves nothing that
// never expires and nothing reported as active. RemoveSession is one write:
// the id goes, and the record, no longer reported, expires with its ttl.
package sessions

import (
	"context"
	"errors"
	"slices"
	"strings"
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

//go:generate go run github.com/setgen/setgen/cmd/setgen -type=SessionID,Session -mock -ttl

// Keys of the two TTL sets.
const (
	ActiveKey  = "active_sessions"
	RecordsKey = "session_records"
)

// Manager tracks active sessions.
type Manager struct {
	active  SessionIDTTLSetAPI
	records SessionTTLSetAPI
	now     func() time.Time
}

// NewManager returns a Manager storing sessions through cm.
func NewManager(cm *runtime.ConnectionManager) *Manager {
	return NewManagerWithSets(NewSessionIDTTLSet(cm, ActiveKey), NewSessionTTLSet(cm, RecordsKey), time.Now)
}

// NewManagerWithSets returns a Manager over the given sets (e.g. mocks from
// package sessionsmock) and clock.
func NewManagerWithSets(active SessionIDTTLSetAPI, records SessionTTLSetAPI, now func() time.Time) *Manager {
	return &Manager{active: active, records: records, now: now}
}

// AddSession records an active session that expires ttl from now. Its
// record is written before its id, so an active id always has a record.
func (m *Manager) AddSession(ctx context.Context, id SessionID, userData map[string]string, ttl time.Duration) error {
	if id == "" {
		return errors.New("sessions: empty session id")
	}
	if _, err := m.records.Add(ctx, ttl, Session{ID: id, UserData: userData, Started: m.now()}); err != nil {
		return err
	}
	_, err := m.active.Add(ctx, ttl, id)
	return err
}

// RemoveSession ends a session.
func (m *Manager) RemoveSession(ctx context.Context, id SessionID) error {
	_, err := m.active.Remove(ctx, id)
	return err
}

// IsActive reports whether a session is active (and not expired).
func (m *Manager) IsActive(ctx context.Context, id SessionID) (bool, error) {
	return m.active.Contains(ctx, id)
}

// GetActiveSessions returns every active session with its details: one read
// of the records, whose ids are then checked against the (cached) active
// set. A session added again keeps its newest record.
func (m *Manager) GetActiveSessions(ctx context.Context) ([]Session, error) {
	records, err := m.records.Members(ctx)
	if err != nil {
		return nil, err
	}
	newest := map[SessionID]Session{}
	for _, s := range records {
		if old, ok := newest[s.ID]; !ok || s.Started.After(old.Started) {
			newest[s.ID] = s
		}
	}
	ids := make([]SessionID, 0, len(newest))
	for id := range newest {
		ids = append(ids, id)
	}
	live, err := m.active.ContainsMany(ctx, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]Session, 0, len(ids))
	for i, id := range ids {
		if live[i] {
			out = append(out, newest[id])
		}
	}
	slices.SortFunc(out, func(a, b Session) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}
