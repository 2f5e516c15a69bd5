package capture

// Idle reports whether no session is open now.
func (m *Maildir) Idle() bool { return m.live.idleChan() == nil }
