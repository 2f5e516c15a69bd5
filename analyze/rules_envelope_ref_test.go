package analyze

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/gentext"
)

// The envelope rules' case-blind comparisons walk ASCII side by side and
// hand the rest to the strings package; these hold them to the
// definitions they stand for, on every pair of short strings from an
// alphabet of letters that fold or lower-case across lengths and scripts
// (the Kelvin sign, the long s, the dotted capital I, a lone continuation
// byte) and on random longer ones.

func refSameLower(a, b string) bool { return strings.ToLower(a) == strings.ToLower(b) }

func checkCaseBlind(t *testing.T, a, b string) {
	t.Helper()
	if got, want := sameLower(a, b), refSameLower(a, b); got != want {
		t.Fatalf("sameLower(%q, %q) = %v, want %v", a, b, got, want)
	}
	if got, want := equalFoldAddr(a, b), strings.EqualFold(a, b); got != want {
		t.Fatalf("equalFoldAddr(%q, %q) = %v, want %v", a, b, got, want)
	}
}

var caseBlindAlphabet = []string{"k", "K", "\u212a", "s", "S", "\u017f", "i", "I", "\u0130", "\u0131", "@", "`",
	"\xa9", "\xc3", "\u00e9", "\u00c9"}

func TestCaseBlindMatchReference(t *testing.T) {
	var words []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		words = append(words, prefix)
		if n < 2 {
			for _, c := range caseBlindAlphabet {
				grow(prefix+c, n+1)
			}
		}
	}
	grow("", 0)
	for _, a := range words {
		for _, b := range words {
			checkCaseBlind(t, a, b)
			checkCaseBlind(t, "Alice.X@"+a, "alice.x@"+b)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	word := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			if r.IntN(4) == 0 {
				b.WriteString(caseBlindAlphabet[r.IntN(len(caseBlindAlphabet))])
			} else {
				b.WriteByte("aAbB.@-"[r.IntN(7)])
			}
		}
		return b.String()
	}
	for range 200000 {
		a := word()
		checkCaseBlind(t, a, word())
		checkCaseBlind(t, a, strings.ToUpper(a))
		checkCaseBlind(t, a, strings.ToLower(a))
	}
}

func FuzzCaseBlind(f *testing.F) {
	f.Add("Bob@Example.COM", "bob@example.com")
	f.Add("\u212aim@x", "kim@x")
	f.Add("\u0130@x", "i@x")
	f.Fuzz(checkCaseBlind)
}

// TestAddrDomain holds addrDomain, one walk back from the end, to
// domainOf, on addresses put together from pieces that domainOf trims,
// lower-cases or leaves alone.
func TestAddrDomain(t *testing.T) {
	pieces := []string{"a", "@", "Example", "COM", ".", " ", ">", "[", "]", "\u00fc", "\u0130", "-", "1", "z", "\xff"}
	r := rand.New(rand.NewPCG(7, 8))
	for range 50000 {
		s := gentext.Join(r, pieces, r.IntN(8))
		if got, want := addrDomain(s), domainOf(s); got != want {
			t.Fatalf("addrDomain(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzAddrDomain(f *testing.F) {
	f.Add("Alice <alice@Example.COM>")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := addrDomain(s), domainOf(s); got != want {
			t.Fatalf("addrDomain(%q) = %q, want %q", s, got, want)
		}
	})
}

// refEnvelopeEvidence is the former envelopeEvidence: a closure per field
// and a builder grown as it went.
func refEnvelopeEvidence(env Envelope, addrs []string) string {
	named := func(addr string) bool {
		return slices.ContainsFunc(addrs, func(a string) bool { return strings.ToLower(a) == strings.ToLower(addr) })
	}
	var parts []string
	more := 0
	for _, e := range env.Evidence {
		switch {
		case !named(e.Address):
		case len(parts) == maxShown:
			more++
		default:
			parts = append(parts, e.Field+": "+e.Address)
		}
	}
	return strings.Join(parts, " | ") + andMore(" | ", more)
}

// TestEnvelopeEvidence holds envelopeEvidence to the former one on
// envelopes of a few to many fields naming a few addresses in both cases,
// and lists of hidden recipients short and long (looked up in a set).
func TestEnvelopeEvidence(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	addrs := []string{"a@x.example", "A@X.example", "b@y.example", "\u212a@x.example", "k@x.example", "c@z.example"}
	fields := []string{"Delivered-To", "X-Original-To", "Received for"}
	for range 5000 {
		var env Envelope
		for range r.IntN(30) {
			env.Evidence = append(env.Evidence, EnvelopeSource{Field: fields[r.IntN(len(fields))],
				Address: addrs[r.IntN(len(addrs))], Line: r.IntN(3)})
		}
		var hidden []string
		for range 1 + r.IntN(3) {
			hidden = append(hidden, addrs[r.IntN(len(addrs))])
		}
		if r.IntN(4) == 0 {
			for i := range maxShown + 1 {
				hidden = append(hidden, fmt.Sprintf("n%d@w.example", i))
			}
		}
		got, line := envelopeEvidenceLine(env, hidden)
		if want := refEnvelopeEvidence(env, hidden); got != want {
			t.Fatalf("envelopeEvidence(%v, %q) = %q, want %q", env.Evidence, hidden, got, want)
		}
		if want := evidenceLine(env, hidden[0]); line != want {
			t.Fatalf("envelopeEvidenceLine(%v, %q) line %d, want %d", env.Evidence, hidden, line, want)
		}
	}
}

// TestAddressFactsMatchLookups holds the facts the Context keeps for the
// envelope sender, Sender, Reply-To and Message-ID, which it takes from the
// From domain's or the envelope sender's when the names are the same, to
// the facts looked up afresh, on every message of the corpus.
func TestAddressFactsMatchLookups(t *testing.T) {
	same := func(what string, got, want *nameFacts) {
		t.Helper()
		if got.name != want.name || got.clean != want.clean || got.org != want.org || got.family != want.family ||
			got.fqdn != want.fqdn || got.skel != want.skel {
			t.Fatalf("%s: facts of %q, want those of %q", what, got.name, want.name)
		}
	}
	for _, raw := range rulesBenchMessages(t) {
		p, ok := headerPath(raw)
		if !ok {
			continue
		}
		c := &Context{Msg: p.msg, Report: p.rep}
		h := &p.rep.Header
		same("Message-ID", c.msgIDFacts(), facts(msgIDDomain(h.MessageID)))
		same("Return-Path", c.mailFromFacts(), facts(domainOf(p.rep.Envelope.MailFrom)))
		if h.Sender != nil {
			same("Sender", c.senderFacts(), facts(domainOf(h.Sender.Address)))
		}
		for i, a := range h.ReplyTo {
			same("Reply-To", c.replyToFacts(i), facts(domainOf(a.Address)))
		}
		same("From", c.fromDomainFacts(), facts(domainOf(c.fromAddress())))
	}
}

// TestAddrDomainWords puts the "@" at every place of addresses up to five
// words long, with an upper-case letter, a byte not ASCII, a space or a
// bracket at every place after it, for addrDomain's eight-byte steps.
func TestAddrDomainWords(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for at := 0; at < n; at++ {
			b := []byte(strings.Repeat("a.z0-9", 7)[:n])
			b[at] = '@'
			check := func() {
				if got, want := addrDomain(string(b)), domainOf(string(b)); got != want {
					t.Fatalf("addrDomain(%q) = %q, want %q", b, got, want)
				}
			}
			check()
			for i := at + 1; i < n; i++ {
				old := b[i]
				for _, c := range []byte{'A', 'Z', '@', '`', '[', ' ', '>', 0x80, 0xff, 0x3f, 0x5b} {
					b[i] = c
					check()
				}
				b[i] = old
			}
		}
	}
}

// TestHiddenMessage holds hiddenMessage to the concatenation it writes at
// once, for one hidden recipient to more than maxShown.
func TestHiddenMessage(t *testing.T) {
	var hidden []string
	for i := range maxShown + 3 {
		hidden = append(hidden, fmt.Sprintf("r%d@example.net", i))
		want := "envelope recipient " + joinFirst(hidden, maxShown) + " is not in To/Cc: Bcc or a list"
		if got := hiddenMessage(hidden); got != want {
			t.Fatalf("hiddenMessage(%d) = %q, want %q", i+1, got, want)
		}
	}
}
