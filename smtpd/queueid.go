package smtpd

import (
	"encoding/base32"
	"encoding/binary"
	"math/rand/v2"
)

// idEncoding is Crockford's base32 alphabet: upper case, no I, L, O or U to misread.
var idEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newQueueID returns a unique queue ID of 16 characters: microseconds since the epoch, a per-server
// counter (unique unless 65536 IDs are made in one microsecond) and 8 random bits. IDs sort by time.
func (s *Server) newQueueID() string { return s.queueID("") }

// newSessionID names a connection: a queue ID prefixed "S".
func (s *Server) newSessionID() string { return s.queueID("S") }

// queueID builds prefix and a queue ID in a buffer on the stack, so that the ID costs one
// allocation, the string's own (two per message otherwise, four with the session's).
func (s *Server) queueID(prefix string) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.now().UnixMicro())<<8)
	n := s.seq.Add(1)
	b[7], b[8] = byte(n>>8), byte(n)
	b[9] = byte(rand.Uint32()) // uniqueness comes from time and counter; this only spreads IDs
	var out [24]byte
	return string(idEncoding.AppendEncode(append(out[:0], prefix...), b[:]))
}
