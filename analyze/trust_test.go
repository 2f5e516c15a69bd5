package analyze

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/mailtrace/mailtrace/received"
)

// fillJunk sets every field of v, exported or not, to something other
// than its zero value.
func fillJunk(v reflect.Value) {
	v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(7)
	case reflect.String:
		v.SetString("junk")
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Func:
		v.Set(reflect.MakeFunc(v.Type(), func([]reflect.Value) []reflect.Value { panic("junk") }))
	case reflect.Struct:
		for i := range v.NumField() {
			fillJunk(v.Field(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			fillJunk(v.Index(i))
		}
	}
}

// TestTrustReset: infer leaves a Trust that held another message's trust
// (every field of it set) as it leaves a new one, factsBuf aside, which
// only ever holds the facts (the same facts, too).
func TestTrustReset(t *testing.T) {
	var junk Trust
	fillJunk(reflect.ValueOf(&junk).Elem())
	if reflect.ValueOf(junk).FieldByName("reason").String() != "junk" {
		t.Fatal("fillJunk left the fields alone")
	}
	msgs := loadCorpus(t)
	if len(msgs) > 60 {
		msgs = msgs[:60]
	}
	for _, trusted := range [][]string{nil, {"10.0.0.0/8", "example.com"}} {
		opts := &Options{Trusted: trusted}
		for _, m := range msgs {
			msg, err := Split(m.raw)
			if err != nil {
				continue
			}
			hops := chainOf(msg)
			for _, captured := range []bool{false, true} {
				fresh, used := new(Trust), junk
				fresh.infer(context.Background(), hops, opts, captured, "rcpt@example.org")
				used.infer(context.Background(), hops, opts, captured, "rcpt@example.org")
				if !reflect.DeepEqual(fresh.facts, used.facts) {
					t.Fatalf("%s: the facts differ", m.name)
				}
				fresh.facts, used.facts = nil, nil
				fresh.factsBuf, used.factsBuf = [len(fresh.factsBuf)]hopFacts{}, [len(used.factsBuf)]hopFacts{}
				if !reflect.DeepEqual(*fresh, used) {
					t.Fatalf("%s: a used Trust is left\n%+v\na new one\n%+v", m.name, used, *fresh)
				}
			}
		}
	}
}

// TestIsEximVerified holds isEximVerified, which compares the MTA's name
// as four ASCII bytes, to strings.EqualFold, on names that fold to "exim"
// or nearly, in and out of ASCII, and with the names and lines it asks
// about present and absent.
func TestIsEximVerified(t *testing.T) {
	ref := func(h *received.Hop) bool {
		if !strings.EqualFold(h.MTA, "exim") || h.From.HELO == "" || h.From.RDNS != "" {
			return false
		}
		if strings.Contains(h.Raw, "helo=") || strings.Contains(h.Raw, "HELO=") {
			return false
		}
		_, isIP := hostAddr(h.From.HELO)
		return !isIP
	}
	mtas := []string{"", "exim", "Exim", "EXIM", "exim4", "exi", "exım", "EXİM", "eXiM", "ex\u0130m", "postfix", "exim\u212a", "exi\u017fm"}
	for _, mta := range mtas {
		for _, helo := range []string{"", "mail.example.com", "[192.0.2.1]"} {
			for _, rdns := range []string{"", "mail.example.com"} {
				for _, raw := range []string{"from mail.example.com", "from x (helo=y)", "from x (HELO=y)"} {
					h := &received.Hop{MTA: mta, Raw: raw, From: received.From{HELO: helo, RDNS: rdns}}
					if got, want := isEximVerified(h), ref(h); got != want {
						t.Fatalf("isEximVerified(%+v) = %v, want %v", h, got, want)
					}
				}
			}
		}
	}
	for r := rune(0); r < 0x3000; r++ {
		for _, mta := range []string{string(r) + "xim", "e" + string(r) + "im", "ex" + string(r) + "m", "exi" + string(r)} {
			h := &received.Hop{MTA: mta, From: received.From{HELO: "mail.example.com"}}
			if got, want := isEximVerified(h), ref(h); got != want {
				t.Fatalf("isEximVerified(MTA %q) = %v, want %v", mta, got, want)
			}
		}
	}
}
