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
func (s *Server) newQueueID() string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.now().UnixMicro())<<8)
	n := s.seq.Add(1)
	b[7], b[8] = byte(n>>8), byte(n)
	b[9] = byte(rand.Uint32()) // uniqueness comes from time and counter; this only spreads IDs
	return idEncoding.EncodeToString(b[:])
}

// newSessionID names a connection: a queue ID prefixed "S".
func (s *Server) newSessionID() string { return "S" + s.newQueueID() }
