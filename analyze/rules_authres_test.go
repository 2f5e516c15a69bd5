package analyze

import (
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/gentext"
)

// authResultsTexts are the values of every Authentication-Results and
// ARC-Authentication-Results field of the corpus (testdata when it is
// absent), unfolded, with variants that put quoted pairs, quotes,
// comments and DMARC failures where a parser could part ways.
func authResultsTexts(t testing.TB) []string {
	var out []string
	for _, raw := range rulesBenchMessages(t) {
		m, err := Split(raw)
		if err != nil {
			continue
		}
		for _, f := range m.Fields {
			if equalFoldASCII(f.Name, "Authentication-Results") || equalFoldASCII(f.Name, "ARC-Authentication-Results") {
				out = append(out, unfold(f.Value))
			}
		}
	}
	for _, v := range out[:len(out):len(out)] {
		out = append(out,
			strings.Replace(v, ";", `\"; dmarc=fail (p=reject) x="`, 1),
			strings.Replace(v, ";", `; x="\"; dmarc=fail (p=reject); y="`, 1),
			strings.Replace(v, "(", `("; dmarc=fail p=reject; `, 1),
			strings.Replace(v, ";", `; dmarc=FAIL (p=quarantine (nested; ")) header.from=x`, 1),
			strings.Replace(v, "dmarc=pass", "dmarc=fail", 1),
			strings.ReplaceAll(v, ";", `\;`),
			v+`; "dmarc=fail (p=reject)`)
	}
	return out
}

// mayRecordDMARCFail stands between checkAuthResTrusted and
// recordedDMARCFail: it must never turn away a field dmarcFailText finds a
// DMARC failure in.
func TestMayRecordDMARCFail(t *testing.T) {
	for _, v := range append(authResultsTexts(t),
		`mx.example.net; dmarc=fail (p=reject) header.from=x.example`,
		`mx.example.net; x="a\"; dmarc=fail (p=reject); y="b"`,
		`mx.example.net; x="a\\"; dmarc=fail (p=reject); y="b"`,
		`dmarc=fail (p=reject)`,
		`mx; (x; "y") dmarc=fail (p=reject)`,
		`mx; ("x) dmarc=fail (p=reject)`,
	) {
		checkMayRecordDMARCFail(t, v)
	}
}

func checkMayRecordDMARCFail(t *testing.T, v string) {
	a := ParseAuthResults(v)
	if !mayRecordDMARCFail(&a) && dmarcFailText(a.Raw) != "" {
		t.Errorf("%q: mayRecordDMARCFail false, dmarcFailText %q", v, dmarcFailText(a.Raw))
	}
}

func FuzzMayRecordDMARCFail(f *testing.F) {
	for _, v := range []string{`mx; dmarc=fail (p=reject)`, `mx; x="\"; dmarc=fail"`, `(a; dmarc=fail)`} {
		f.Add(v)
	}
	f.Fuzz(checkMayRecordDMARCFail)
}

// refParts cuts v as parseResults did before cutResult: at each ';' found
// by indexOutsideQuotes in what follows the previous one.
func refParts(v string) []string {
	var out []string
	for p, more := v, true; more; {
		if i := indexOutsideQuotes(p, ';'); i >= 0 {
			out, p = append(out, p[:i]), p[i+1:]
		} else {
			out, more = append(out, p), false
		}
	}
	return out
}

// cutParts cuts v as parseResults does.
func cutParts(v string) []string {
	var out []string
	q := strings.IndexByte(v, '"')
	for start, more := 0, true; more; {
		if end := cutResult(v, start, &q); end >= 0 {
			out, start = append(out, v[start:end]), end+1
		} else {
			out, more = append(out, v[start:]), false
		}
	}
	return out
}

// TestCutResult holds parseResults' cut (cutResult) to the walk it
// replaces, and stripComments to its reference (fast_ref_test.go), over every authentication results field of the
// corpus, its variants, and the same without comments.
func TestCutResult(t *testing.T) {
	texts := append(authResultsTexts(t), "", ";", `"`, `";"`, `a;"b;c";d`, `a;"b;c`, `"";;""`, `x"y;z"w;v`, `a\";b;"c`)
	for _, v := range texts {
		checkCutResult(t, v)
		checkCutResult(t, stripComments(v))
	}
}

// TestStripCommentsLongRuns holds stripComments to its reference (the
// byte at a time walk, fast_ref_test.go) over texts whose runs between
// the bytes it acts on are long, as in real fields, so that its searches
// outside comments and quotes go far, and find quotes and backslashes
// before, at and after the next "(".
func TestStripCommentsLongRuns(t *testing.T) {
	pieces := []string{"(", ")", `"`, `\`, "mx.example.com; dkim=pass header.d=example.com header.s=sel; ",
		" spf=pass smtp.mailfrom=a@example.org", "a", " ", ";", "((", "))", `\(`, `\"`, `"(`, `)"`, "(x y z)", strings.Repeat("w", 40)}
	r := rand.New(rand.NewPCG(41, 42))
	for range 100000 {
		s := gentext.Join(r, pieces, r.IntN(20))
		if got, want := stripComments(s), refStripComments(s); got != want {
			t.Fatalf("stripComments(%q) = %q, want %q", s, got, want)
		}
	}
}

func checkCutResult(t *testing.T, v string) {
	if got, want := cutParts(v), refParts(v); !slices.Equal(got, want) {
		t.Errorf("cut %q:\n got %q\nwant %q", v, got, want)
	}
	if got, want := stripComments(v), refStripComments(v); got != want {
		t.Errorf("stripComments(%q) = %q, want %q", v, got, want)
	}
}

func FuzzCutResult(f *testing.F) {
	for _, v := range []string{`mx; a=b; "c;d"; e`, `a;"b;c`, `(a;"b) c; d`} {
		f.Add(v)
	}
	f.Fuzz(checkCutResult)
}

// TestParseResInfo holds parseResInfo's byte scanner to the word walk by
// strings.FieldsSeq (parseResInfoFields) over every result of every
// authentication results field of the corpus and its variants, and over
// words cased, spaced and quoted every way the scanner tells apart.
func TestParseResInfo(t *testing.T) {
	texts := []string{"", " ", "=", "=pass", "dkim", "dkim=", "DKIM=PASS", "dkim/1=pass", "Dkim/V1=Pass x", "dkim = pass",
		"dkim=pass header.d=Example.COM header.S=sel", "spf=pass reason=\"A B\" smtp.mailfrom=a@b", "x=y=Z Q=r=S",
		"dmarc=\"pass\" header.from=\"x\"", "dkim=pass\vheader.d=a\fheader.s=b\r\n\theader.b=C", "a=b noeq c=d reason",
		"dkim=pass header.d=bücher.de", "dkim=pass\u00a0header.d=a", "dkim=pass\u0085header.d=a", "\u212aim=pass",
		"dkim=pass reason=1 reason=2", "d/=x", "/=x", "a/b/c=D"}
	for _, v := range authResultsTexts(t) {
		texts = append(texts, cutParts(stripComments(v))...)
	}
	for _, s := range texts {
		checkParseResInfo(t, s)
	}
}

// TestResMarked8 holds resMarked8 to resByte byte by byte: every byte
// value at each of the eight places, among bytes of every kind.
func TestResMarked8(t *testing.T) {
	marked := func(b byte) bool { return resByte[b] != 0 || b < 0x21 }
	fills := []byte{'a', 'A', '=', ' ', 0, '@', '[', 'Z', 'z', 0x7f, 0x80, 0xff, 0x20, 0x21, 0x3c, 0x3e, 0x40, 0x5b}
	for _, fill := range fills {
		for p := range 8 {
			for b := range 256 {
				var w [8]byte
				for k := range w {
					w[k] = fill + byte(k*p)%3 // neighbours that differ, some next in value
				}
				w[p] = byte(b)
				var want uint64
				for k, c := range w {
					if marked(c) {
						want |= 0x80 << (8 * k)
					}
				}
				if got := resMarked8(binary.LittleEndian.Uint64(w[:])); got != want {
					t.Fatalf("resMarked8(%q) = %#x, want %#x", w, got, want)
				}
			}
		}
	}
}

func TestTrimQuotes(t *testing.T) {
	for _, v := range []string{"", `"`, `""`, `"""`, "a", `"a`, `a"`, `"a"`, `""a""`, `a"b`, `"a"b`, `a"b"`, " \"a\" "} {
		if got, want := trimQuotes(v), strings.Trim(v, `"`); got != want {
			t.Errorf("trimQuotes(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestParseResInfoLongWords puts every byte value at every place of words
// longer than eight bytes, so that resMarked8's skips meet each kind.
func TestParseResInfoLongWords(t *testing.T) {
	for p := range 19 {
		for b := range 256 {
			w := []byte("header.d=example.org")
			w[p] = byte(b)
			checkParseResInfo(t, "dkim=pass "+string(w)+" header.S=Sel1")
			checkParseResInfo(t, string(w)+" x=y")
		}
	}
}

func checkParseResInfo(t *testing.T, s string) {
	got, gotOK := parseResInfo(s)
	want, wantOK := parseResInfoFields(s)
	if gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseResInfo(%q) = %+v %v, want %+v %v", s, got, gotOK, want, wantOK)
	}
	// The same with the properties appended to a list another result
	// filled before, with room for one more.
	pool := append(make(Props, 0, 2), Prop{"header.d", "before"})
	got, gotOK = parseResInfoIn(s, &pool)
	if gotOK != wantOK || !reflect.DeepEqual(got, want) || pool[0] != (Prop{"header.d", "before"}) {
		t.Fatalf("parseResInfoIn(%q) = %+v %v, want %+v %v", s, got, gotOK, want, wantOK)
	}
}

// TestParseResultsSharedProps holds parseResults, whose results share a
// list of properties, to parseResInfo of each part over the
// authentication results of the corpus and their variants.
func TestParseResultsSharedProps(t *testing.T) {
	texts := append(authResultsTexts(t), "", "mx", "mx; dkim=pass a=1 b=2 c=3 d=4 e=5; spf=pass x=y", "mx; ==== ====; a=b =",
		"mx; dkim=pass header.d=b\u00fccher.de; spf=pass smtp.mailfrom=a@b")
	for _, v := range texts {
		a := ParseAuthResults(v)
		want, rest := parseAuthHead(unfold(v))
		parts := cutParts(rest)
		if want.AuthServID != "" {
			parts = parts[1:]
		}
		for _, p := range parts {
			if r, ok := parseResInfo(p); ok {
				want.Results = append(want.Results, r)
			}
		}
		if !reflect.DeepEqual(a.Results, want.Results) {
			t.Fatalf("ParseAuthResults(%q) = %+v, want %+v", v, a.Results, want.Results)
		}
	}
}

func FuzzParseResInfo(f *testing.F) {
	for _, s := range []string{"dkim=pass header.d=Example.COM", "Spf=Fail reason=\"x\"", "a=b\u00a0c=d"} {
		f.Add(s)
	}
	f.Fuzz(checkParseResInfo)
}

// refDKIMPasses is what arcPassForMissing read before dkimPasses: every
// result parsed, the dkim=pass ones kept.
func refDKIMPasses(v string) []AuthResult {
	var ar AuthResults
	ar.parseResults(v)
	var out []AuthResult
	for _, r := range ar.Results {
		if r.Method == "dkim" && r.Result == "pass" {
			out = append(out, r)
		}
	}
	return out
}

// TestDKIMPasses holds dkimPasses, which reads only the parts mayBeDKIM
// lets through, to a parse of every part, over the authentication results
// of the corpus, their variants, and parts cased and spaced every way the
// test tells apart.
func TestDKIMPasses(t *testing.T) {
	texts := []string{"", "dkim=pass", "DKIM=PASS header.d=x", " dKiM/1=pass", "dkim =pass", "dkim", "dkimx=pass",
		"dkim=pass; dkim=fail; Dkim=Pass header.s=a", "\u00a0dkim=pass", "d\u212aim=pass", "\u212aim=pass; dkim=pass",
		"x dkim=pass", "arc=pass; dkim=\"pass\"", "\tdkim=pass\r\n\t header.i=@x", "dk=im", "dki=m"}
	for _, v := range authResultsTexts(t) {
		texts = append(texts, v, stripComments(v))
	}
	for _, v := range texts {
		checkDKIMPasses(t, v)
	}
}

func checkDKIMPasses(t *testing.T, v string) {
	if got, want := dkimPasses(v), refDKIMPasses(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("dkimPasses(%q) = %+v, want %+v", v, got, want)
	}
}

func FuzzDKIMPasses(f *testing.F) {
	for _, v := range []string{"dkim=pass header.d=x; spf=pass", "DKIM/1=Pass; \u212aim=pass", "a; \"dkim=pass;\" dkim=pass"} {
		f.Add(v)
	}
	f.Fuzz(checkDKIMPasses)
}

// refTrustedMessage is authres-trusted's message as it was written
// before trustedMessage: the authserv-id, ": " and summarizeAuth's
// summary, built in a strings.Builder.
func refTrustedMessage(a AuthResults) string {
	if len(a.Results) == 0 {
		return a.AuthServID + ": no results"
	}
	var b strings.Builder
	for i, r := range a.Results {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.Method)
		b.WriteByte('=')
		b.WriteString(r.Result)
		for _, k := range [...]string{"header.d", "header.from", "header.i", "smtp.mailfrom"} {
			if v, ok := r.Props.lookup(k); ok {
				b.WriteByte(' ')
				b.WriteString(k)
				b.WriteByte('=')
				b.WriteString(v)
			}
		}
	}
	return a.AuthServID + ": " + b.String()
}

// TestTrustedMessage holds trustedMessage to the former text over the
// authentication results of the corpus and their variants, and fields
// whose summary outgrows its buffer on the stack.
func TestTrustedMessage(t *testing.T) {
	texts := append(authResultsTexts(t), "", "mx.example", "mx.example; none",
		"mx.example; dkim=pass header.d=a header.d=b header.i=@c smtp.mailfrom=x@y header.from=z",
		"mx."+strings.Repeat("long", 60)+"; spf=pass smtp.mailfrom="+strings.Repeat("x", 300))
	for _, v := range texts {
		a := ParseAuthResults(v)
		if got, want := trustedMessage(&a), refTrustedMessage(a); got != want {
			t.Fatalf("trustedMessage(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestNextCommentByte holds nextCommentByte, eight bytes at a time, to a
// look at each byte, from every start, over texts of the four bytes it
// looks for among others (the bytes next to them in value, high ones and
// zero ones included) at every offset.
func TestNextCommentByte(t *testing.T) {
	ref := func(s string, i int) int {
		for ; i < len(s) && !commentByte[s[i]]; i++ {
		}
		return i
	}
	pieces := []string{"a", "(", ")", "\"", "\\", "'", "*", "!", "#", "[", "]", "\x00", "\x80", "\xa8", "\xdc", "\xff", "xxxxxxx", ";"}
	r := rand.New(rand.NewPCG(41, 42))
	for range 20000 {
		s := gentext.Join(r, pieces, r.IntN(24))
		for i := 0; i <= len(s); i++ {
			if got, want := nextCommentByte(s, i), ref(s, i); got != want {
				t.Fatalf("nextCommentByte(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	}
}
