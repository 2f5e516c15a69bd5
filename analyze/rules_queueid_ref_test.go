package analyze

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// refParseQueueMsgID is parseQueueMsgID as it was: the host name read
// before the local part's shape.
func refParseQueueMsgID(v string) (queueMsgID, bool) {
	var q queueMsgID
	if len(v) < 3 || v[0] != '<' || v[len(v)-1] != '>' {
		return q, false
	}
	v = v[1 : len(v)-1]
	at := strings.IndexByte(v, '@')
	if at <= 0 || !isQueueHostName(v[at+1:]) {
		return q, false
	}
	local := v[:at]
	q.host = v[at+1:]
	switch {
	case local[0] == 'E':
		return q, q.exim(local[1:])
	case len(local) > 15 && local[14] == '.':
		q.mta, q.queue, q.span = "Postfix", local[15:], time.Second
		t, ok := digitTime(local[:14])
		q.at = t
		return q, ok && isPostfixQueueID(q.queue)
	case len(local) > 13 && local[12] == '.':
		q.mta, q.queue, q.span = "sendmail", local[13:], time.Minute
		t, ok := digitTime(local[:12])
		q.at = t
		return q, ok && isSendmailQueueID(q.queue)
	}
	return q, false
}

// TestParseQueueMsgIDMatchesReference holds parseQueueMsgID, which tells
// the local part's shape before reading the host name, to reading the
// host first: the same answer, and the same reading when it says yes, on
// the benchmark messages' Message-IDs and on ones put together from
// local parts of every shape and hosts good and bad.
func TestParseQueueMsgIDMatchesReference(t *testing.T) {
	check := func(s string) {
		t.Helper()
		q, ok := parseQueueMsgID(s)
		wq, wok := refParseQueueMsgID(s)
		if ok != wok || ok && !reflect.DeepEqual(q, wq) {
			t.Fatalf("parseQueueMsgID(%q) = %+v, %v; want %+v, %v", s, q, ok, wq, wok)
		}
	}
	for _, m := range benchMessageIDs(t) {
		check(m)
	}
	locals := []string{"", "E", "E1K9UWP-0006d1-TK", "E1rhQs6-00000000Ab1-2xYz", "20240305091402.4Tq0Bd1vHrz9sWQ",
		"201012150659.oBF6xAuc018214", "20240305091402.", "201012150659.", "abc", "CAF=x+y", "2024030509140.x",
		"20240305091402x4Tq0Bd1vHrz9sWQ"}
	hosts := []string{"", "h", "mail.example.com", ".example.com", "ex ample.com", "exämple.com", "a_b-c.d", strings.Repeat("a", 256)}
	for _, l := range locals {
		for _, h := range hosts {
			for _, s := range []string{"<" + l + "@" + h + ">", l + "@" + h, "<" + l + "@" + h, "<" + l + ">", "<@" + h + ">"} {
				check(s)
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "0123456789.E@<>-abcXYZ_ "
	for range 100_000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check("<" + string(b) + ">")
	}
}

// benchMessageIDs returns the Message-ID of every benchmark message
// (rulesBenchMessages: the corpus, or testdata without it) that has one.
func benchMessageIDs(t *testing.T) []string {
	var ids []string
	for _, raw := range rulesBenchMessages(t) {
		if p, ok := headerPath(raw); ok && p.rep.Header.MessageID != "" {
			ids = append(ids, p.rep.Header.MessageID)
		}
	}
	return ids
}
