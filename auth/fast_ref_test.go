package auth

import (
	"fmt"
	"math/rand/v2"
	"net/mail"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"

	"github.com/mailtrace/mailtrace/internal/gentext"
	"github.com/mailtrace/mailtrace/internal/rfc5322"
)

// Some functions got quicker paths (colonList, unixTag, unfold, trimAngles,
// the From address, the organisational domain of short names); these
// tests hold them to the plain versions they replaced.

// refColonList is the former colonList: strip, then split.
func refColonList(s string) []string {
	var out []string
	for _, item := range strings.Split(stripFWS(s), ":") {
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

func TestColonList(t *testing.T) {
	for _, s := range []string{"", ":", "::", "from", "from:to", " from : to ", "from:\r\n\tto:subject:", "a::b",
		"Fr\r\n om:To", ":from", "from:to:\r\n ", " \t", "a b:c\r\nd:e", " From:\tTo :: Date ", "from:to: subject:date"} {
		if got, want := colonList(s), refColonList(s); !reflect.DeepEqual(got, want) {
			t.Errorf("colonList(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestColonListRandom holds colonList to refColonList over lists put
// together from names, colons and folding.
func TestColonListRandom(t *testing.T) {
	pieces := []string{"from", "To", ":", "::", " ", "\t", "\r\n ", "\n", "x-y", "é", ";", "\x00", "\x1f", "!", "\xba", "\xa0",
		"message-id", "list-unsubscribe-post"}
	r := rand.New(rand.NewPCG(31, 32))
	for k := range 40000 {
		s := gentext.Join(r, pieces, r.IntN(12+k%2*30))
		if got, want := colonList(s), refColonList(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("colonList(%q) = %q, want %q", s, got, want)
		}
	}
}

// refUnixSeconds is the former reading of t= and x=.
func refUnixSeconds(v string) (int64, bool) {
	var sec int64
	if _, err := fmt.Sscan(stripFWS(v), &sec); err != nil || sec < 0 || sec > 1<<40 {
		return 0, false
	}
	return sec, true
}

func TestUnixTag(t *testing.T) {
	for _, v := range []string{"", "0", "00", "017", "1700000000", " 1700000000 ", "17000\r\n 00000", "+5", "-5",
		"0x10", "0b11", "1_000", "12abc", "99999999999999", "1099511627776", "1099511627777", "999999999999999999999",
		"１２", "3.5", "7 8"} {
		got := unixTag(v, true)
		sec, ok := refUnixSeconds(v)
		if ok != (got != nil) || ok && got.Unix() != sec {
			t.Errorf("unixTag(%q) = %v, want %d %v", v, got, sec, ok)
		}
	}
}

// domainPieces build domains with every kind of end and case.
var domainPieces = []string{"a", "Example", "COM", ".", " ", "\t", "<", ">", "[", "]", "ü", "İ", "-", "1", "\r\n"}

func TestNormDomainAndStripFWS(t *testing.T) {
	refNorm := func(d string) string { return strings.ToLower(strings.TrimSuffix(strings.Trim(d, " \t<>[]"), ".")) }
	refStrip := func(s string) string {
		if strings.IndexAny(s, " \t\r\n") < 0 {
			return s
		}
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if !isFWS(s[i]) {
				b.WriteByte(s[i])
			}
		}
		return b.String()
	}
	r := rand.New(rand.NewPCG(17, 18))
	for range 20000 {
		s := gentext.Join(r, domainPieces, r.IntN(8))
		if got, want := normDomain(s), refNorm(s); got != want {
			t.Fatalf("normDomain(%q) = %q, want %q", s, got, want)
		}
		if got, want := stripFWS(s), refStrip(s); got != want {
			t.Fatalf("stripFWS(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestCRLFValue(t *testing.T) {
	ref := func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\n' && (i == 0 || v[i-1] != '\r') {
				b.WriteByte('\r')
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	for _, v := range []string{"", "\n", "\r\n", " a\n", " a\r\n b\n", "\n\n", "\r\r\n", "x\ny\r\nz\n", " plain"} {
		if got := crlfValue(v); got != ref(v) {
			t.Errorf("crlfValue(%q) = %q, want %q", v, got, ref(v))
		}
	}
}

// TestUnfoldIgnoresCRLF: adoptHeader keeps From's value as written, since
// fromDomain reads it only unfolded; unfolding must give the same text as
// of the CRLF form the verifier reads.
func TestUnfoldIgnoresCRLF(t *testing.T) {
	pieces := []string{"\n", "\r\n", "\r", " ", "\t", "a", "<b@c.d>", "\"x\"", ","}
	r := rand.New(rand.NewPCG(21, 22))
	for range 20000 {
		v := gentext.Join(r, pieces, r.IntN(10))
		if got, want := unfold(v), unfold(crlfValue(v)); got != want {
			t.Fatalf("unfold(%q) = %q, but %q of its CRLF form", v, got, want)
		}
	}
}

// TestUnfold holds unfold to what it does: every CR and LF dropped, white
// space trimmed.
func TestUnfold(t *testing.T) {
	ref := func(v string) string {
		return strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(strings.TrimSpace(v)))
	}
	pieces := []string{"\n", "\r\n", "\r", " ", "\t", "a", "bc", "\r\r", "\n\n", "; x=1"}
	r := rand.New(rand.NewPCG(25, 26))
	for range 20000 {
		v := gentext.Join(r, pieces, r.IntN(12))
		if got, want := unfold(v), ref(v); got != want {
			t.Fatalf("unfold(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestValidB64 holds validB64 to decoding.
func TestValidB64(t *testing.T) {
	pieces := []string{"A", "Zz", "09", "+/", "=", "==", " ", "\r\n", "\t", "-", "_", "QUJD", "QUI=", "QQ==", "é"}
	r := rand.New(rand.NewPCG(21, 22))
	for k := range 100000 {
		s := gentext.Join(r, pieces, r.IntN(10+k%2*40)) // every other one long: folds between runs of data
		_, err := decodeB64(s)
		if got := validB64(s); got != (err == nil) {
			t.Fatalf("validB64(%q) = %v, decoding says %v", s, got, err)
		}
	}
}

// refFromAddress is how fromDomain read a From value before
// plainFromAddress: rfc5322.SimpleMailbox, then net/mail, then
// scrapeAddress. It returns the first address and their count.
func refFromAddress(v string) (string, int) {
	if _, addr, ok := rfc5322.SimpleMailbox(v); ok {
		return addr, 1
	}
	if list, err := mail.ParseAddressList(v); err == nil {
		if len(list) == 0 {
			return "", 0
		}
		return list[0].Address, len(list)
	}
	if a := scrapeAddress(v); a != "" {
		return a, 1
	}
	return "", 0
}

// TestPlainFromAddress holds plainFromAddress to the reading it spares:
// every value it reads must be one mailbox whose address net/mail (or
// scrapeAddress) finds the same.
func TestPlainFromAddress(t *testing.T) {
	pieces := []string{"a", "b.c", "@", "<", ">", " <", "x@y.z", "<x@y.z>", "(", ")", "(c)", "\"", "\\", ",", ":", ";", " ", "\t",
		"=?utf-8?q?J=C3=B8rn?=", "=?x-unknown?q?a?=", "=?utf-8?b?!!?=", "ü", "\xff", ".", "[", "]", "..", "-", "Name"}
	r := rand.New(rand.NewPCG(23, 24))
	read := 0
	addrs := []string{"x@y.z", "a.b@c", "x@y..z", "@y.z", "x@", "x.@y", "x@[1.2.3.4]", "\"q\"@y.z", "ü@y.z"}
	for range 200000 {
		v := gentext.Join(r, pieces, r.IntN(9))
		// Most random values are read by nobody: shape a third as a
		// phrase and an angle-addr, and a third as an address and a
		// comment.
		switch a := addrs[r.IntN(len(addrs))]; r.IntN(3) {
		case 0:
			v += " <" + a + ">"
		case 1:
			v = a + " (" + v + ")"
		}
		got, ok := plainFromAddress(v)
		if !ok {
			continue
		}
		read++
		if want, n := refFromAddress(v); got != want || n != 1 {
			t.Fatalf("plainFromAddress(%q) = %q, but %d addresses, the first %q", v, got, n, want)
		}
	}
	if read < 5000 {
		t.Errorf("only %d values read: the test shows little", read)
	}
	t.Logf("%d values read", read)
}

// TestOrgDomainShortNames holds orgDomain's answer for names of one or two
// labels, which it gives without the list, to the list's.
func TestOrgDomainShortNames(t *testing.T) {
	ref := func(d string) string {
		if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
			return org
		}
		return d
	}
	// Suffixes of every kind: ICANN and private, wildcard (*.ck) and
	// exception (!www.ck) rules, IDN, unlisted TLDs, empty labels.
	labels := []string{"com", "example", "co", "uk", "blogspot", "github", "io", "ck", "www", "kawasaki", "jp", "xn--p1ai",
		"рф", "пример", "amazonaws", "s3", "localhost", "invalid", "", "EXAMPLE", "k"}
	var names []string
	for _, a := range labels {
		names = append(names, a, a+".", "."+a)
		for _, b := range labels {
			names = append(names, a+"."+b, a+"."+b+".", "."+a+"."+b)
		}
	}
	n := 0
	for _, d := range names {
		nd := normDomain(d)
		if strings.Count(nd, ".") >= 2 {
			continue
		}
		n++
		if got, want := orgDomain(d), ref(nd); got != want {
			t.Errorf("orgDomain(%q) = %q, the list says %q", d, got, want)
		}
	}
	if n < 400 {
		t.Errorf("only %d names of one or two labels", n)
	}
}

// TestTrimAngles holds trimAngles to strings.Trim, which it replaced.
func TestTrimAngles(t *testing.T) {
	pieces := []string{" ", "<", ">", "a@b.c", "\t", "<>", "x"}
	r := rand.New(rand.NewPCG(27, 28))
	for range 5000 {
		s := gentext.Join(r, pieces, r.IntN(7))
		if got, want := trimAngles(s), strings.Trim(s, " <>"); got != want {
			t.Fatalf("trimAngles(%q) = %q, want %q", s, got, want)
		}
	}
}

// sigTagOf is a switch for speed; sigTagNames names the same tags for
// String. The two must agree, and nothing else may be read as a tag.
func TestSigTagOfMatchesNames(t *testing.T) {
	for k := sigTag(0); k < numSigTags; k++ {
		if got, ok := sigTagOf(k.String()); !ok || got != k {
			t.Errorf("sigTagOf(%q) = %v %v, want %v", k.String(), got, ok, k)
		}
	}
	for _, name := range []string{"", "z", "A", "B", "bH", "cV", "bhx", "e", "aa"} {
		if k, ok := sigTagOf(name); ok {
			t.Errorf("sigTagOf(%q) = %v, want no tag", name, k)
		}
	}
}

// checkScanSigTags holds scanSigTags to parseSigTagsSlow, the tag-list
// parser: it reads to the end exactly the lists without an error, to the
// same values and offsets, and a plain or lower bit it sets is true of the
// value.
func checkScanSigTags(t testing.TB, s string) {
	t.Helper()
	st, ok := scanSigTags(s)
	ref, err := parseSigTagsSlow(s)
	if ok != (err == nil) {
		t.Fatalf("scanSigTags(%q) reads to the end %v, the parser's error is %v", s, ok, err)
	}
	if !ok {
		return
	}
	if st.vals != ref.vals || st.present != ref.present || st.bEq != ref.bEq || st.bEnd != ref.bEnd {
		t.Fatalf("scanSigTags(%q) = %+v, the parser %+v", s, st, ref)
	}
	for k := range numSigTags {
		v := st.vals[k]
		if st.plain&(1<<k) != 0 && stripFWS(v) != v {
			t.Fatalf("scanSigTags(%q): %s=%q is not plain", s, k, v)
		}
		if st.lower&(1<<k) != 0 && (st.plain&(1<<k) == 0 || strings.ToLower(v) != v) {
			t.Fatalf("scanSigTags(%q): %s=%q is not lower", s, k, v)
		}
		if st.stripped(k) != stripFWS(v) || st.lowered(k) != strings.ToLower(stripFWS(v)) {
			t.Fatalf("scanSigTags(%q): %s=%q stripped %q, lowered %q", s, k, v, st.stripped(k), st.lowered(k))
		}
	}
	checkTagReaders(t, &st)
}

// checkTagReaders holds the readers of a signature's values that take
// quicker paths on sigTags' bits to the plain ones: sigTags.canon to
// parseCanon, loweredAlgorithm to parseAlgorithm.
func checkTagReaders(t testing.TB, st *sigTags) {
	t.Helper()
	h, b, ok := st.canon()
	if rh, rb, rok := parseCanon(st.value(tagC)); h != rh || b != rb || ok != rok {
		t.Fatalf("canon of c=%q = %q %q %v, parseCanon %q %q %v", st.value(tagC), h, b, ok, rh, rb, rok)
	}
	alg, err := loweredAlgorithm(st.lowered(tagA))
	// What the signature readers asked before: parseAlgorithm of the value
	// as lowered, so that an unknown algorithm is named in lower case.
	ralg, rerr := parseAlgorithm(strings.ToLower(stripFWS(st.value(tagA))))
	if alg != ralg || (err == nil) != (rerr == nil) || err != nil && err.Error() != rerr.Error() {
		t.Fatalf("loweredAlgorithm of a=%q = %q %v, parseAlgorithm %q %v", st.value(tagA), alg, err, ralg, rerr)
	}
}

// sigTagCases are tag lists of signatures, written and broken as in the
// wild and in the tests above.
var sigTagCases = []string{
	"", " ", ";", "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=BBBB",
	"v=1;a=rsa-sha256;\r\n\tb=AA\r\n\t BB ;", "i=1; cv=none; b=", "=;=;", "a ; b", "x=\x00\xff; y = 1 ;;",
	"d=Example.COM; s=Sel; a=RSA-SHA256; i=@Ex.com", "d=exa mple.com; s= sel ; a=rsa-\r\n sha256 ;",
	"d=bücher.de; s=sél", "a=1; a=2", "z=1; z=2", "z=1; zz=2; z_1=3; z1=4; zz=5", "v=1; 1a=2", "v=1; a",
	"v=1; a b=c", "d=example.com;;", "d=example.com; ;s=x", "c=Relaxed/Simple; q=DNS/TXT; l=10; t=17 ; x=18\t",
	"cv=Pass; i=2; t=1\r\n", "b=;bh=;h=", "c=relaxed", "c=simple", "c=", "c=relaxed/", "c=/simple",
	"c=simple/relaxed", "c=relaxed/relaxed", "c=simple/simple", "c=RELAXED/relaxed", "c=relaxed/simple/x",
	"c=relaxed /simple", "a=ed25519-sha256", "a=rsa-sha1", "a=RSA-SHA1", "a=ED25519-sha256", "a=rsa-sha512", "a=", "b=abc; d=x.com; b=def", "_a=1", "A=1; B=2; D=Example.com",
	strings.Repeat("z=1;", 2) + "d=x", func() string {
		var b strings.Builder
		for i := range maxTags + 1 {
			fmt.Fprintf(&b, "n%d=%d;", i, i)
		}
		return b.String()
	}(),
	func() string {
		var b strings.Builder
		for i := range maxTags {
			fmt.Fprintf(&b, "n%d=%d;", i, i)
		}
		return b.String()
	}(),
}

func TestScanSigTags(t *testing.T) {
	for _, s := range sigTagCases {
		checkScanSigTags(t, s)
	}
	// The usual signature is read in one pass, its short values seen to
	// need no copy.
	st, ok := scanSigTags("v=1; a=rsa-sha256; d=example.com; s=sel;\r\n\th=from:to; i=@example.com; bh=AAAA; b=BB\r\n BB")
	if want := uint16(1<<tagA | 1<<tagD | 1<<tagS | 1<<tagI | 1<<tagV); !ok || st.lower != want || st.plain != want {
		t.Errorf("scanSigTags: ok %v, plain %b, lower %b, want %b", ok, st.plain, st.lower, want)
	}
}

// TestScanSigTagsCorpus holds scanSigTags to the parser over every
// signature and seal of the corpus.
func TestScanSigTagsCorpus(t *testing.T) {
	n := 0
	for _, path := range corpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
		var cur *strings.Builder
		var values []string
		for line := range strings.SplitSeq(head, "\n") {
			if line != "" && (line[0] == ' ' || line[0] == '\t') {
				if cur != nil {
					cur.WriteString("\r\n" + line)
				}
				continue
			}
			if cur != nil {
				values = append(values, cur.String())
				cur = nil
			}
			name, v, _ := strings.Cut(line, ":")
			if name = strings.TrimSpace(name); readOffline(name) {
				if k := offlineName(name); k == kindDKIM || k == kindAMS || k == kindSeal {
					cur = &strings.Builder{}
					cur.WriteString(v)
				}
			}
		}
		if cur != nil {
			values = append(values, cur.String())
		}
		for _, v := range values {
			checkScanSigTags(t, v)
			n++
		}
	}
	t.Logf("%d signatures and seals", n)
}

func FuzzScanSigTags(f *testing.F) {
	for _, s := range sigTagCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkScanSigTags(t, s) })
}

// TestLastIndexByte holds lastIndexByte, eight bytes at a time, to
// strings.LastIndexByte over texts of the byte looked for among its
// neighbours in value, high bytes and zero ones, at every offset.
func TestLastIndexByte(t *testing.T) {
	pieces := []string{"a", "@", "<", "?", "A", "\x00", "\x80", "\xc0", "\xbc", "\xff", "xxxxxxx", ".", ";"}
	r := rand.New(rand.NewPCG(51, 52))
	for range 20000 {
		s := gentext.Join(r, pieces, r.IntN(24))
		for _, c := range []byte{'@', '<', 0, 0x80, 0xff} {
			if got, want := lastIndexByte(s, c), strings.LastIndexByte(s, c); got != want {
				t.Fatalf("lastIndexByte(%q, %q) = %d, want %d", s, c, got, want)
			}
		}
	}
}
