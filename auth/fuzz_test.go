package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzTagList: the tag-list parser never panics, keeps names unique, and
// blanking b= leaves the rest of the text alone; a signature's tags by
// name (parseSigTags) are the list's.
func FuzzTagList(f *testing.F) {
	for _, s := range []string{
		"v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=BBBB",
		"v=1;a=rsa-sha256;\r\n\tb=AA\r\n\t BB ;",
		"i=1; cv=none; b=",
		"=;=;",
		"a ; b",
		"x=\x00\xff; y = 1 ;;",
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := parseTagList(s)
		seen := map[string]bool{}
		for _, tg := range tags {
			if seen[tg.Name] {
				t.Fatalf("duplicate %q kept", tg.Name)
			}
			seen[tg.Name] = true
			if tg.Eq < 0 || tg.Eq > tg.End || tg.End > len(s) {
				t.Fatalf("bad offsets %+v in %q", tg, s)
			}
		}
		st, serr := parseSigTags(s)
		if fmt.Sprint(serr) != fmt.Sprint(err) {
			t.Fatalf("parseSigTags(%q) fails with %v, parseTagList with %v", s, serr, err)
		}
		for k := range numSigTags {
			if v, ok := tags.get(k.String()); st.has(k) != ok || st.value(k) != v {
				t.Fatalf("parseSigTags(%q): %s= is %q (%v), in the list %q (%v)", s, k, st.value(k), st.has(k), v, ok)
			}
		}
		if err != nil {
			return
		}
		if len(tags) > maxTags {
			t.Fatalf("%d tags", len(tags))
		}
		blanked := s
		if st.has(tagB) {
			blanked = blankValue(s, st.bEq, st.bEnd)
		}
		again, err := parseTagList(blanked)
		if err != nil {
			t.Fatalf("blanked %q does not parse: %v", blanked, err)
		}
		if v, ok := again.get("b"); seen["b"] && (!ok || v != "") {
			t.Fatalf("b= not blanked in %q: %q", blanked, v)
		}
		for _, tg := range tags {
			if tg.Name != "b" && again.value(tg.Name) != tg.Value {
				t.Fatalf("tag %s changed: %q -> %q", tg.Name, tg.Value, again.value(tg.Name))
			}
		}
	})
}

// FuzzCheck feeds whole messages (headers with DKIM and ARC fields) to the
// verifier against a zone with one real key: no panic, no hang, and every
// signature gets a result.
func FuzzCheck(f *testing.F) {
	rk, _, _ := testKeys(f)
	z := zone(f, arcZone(f)+txtRR("sel._domainkey.example.com", keyRecord(f, rk))+
		txtRR("strict._domainkey.example.com", "v=DKIM1; t=y:s; "+strings.TrimPrefix(keyRecord(f, rk), "v=DKIM1; "))+
		txtRR("_dmarc.example.com", "v=DMARC1; p=REJECT; adkim=S")+txtRR("example.com", "v=spf1 ip4:192.0.2.0/24 -all"))
	f.Add(sign(f, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk}))
	f.Add(sign(f, baseMessage, signOpts{domain: "example.com", selector: "sel", signer: rk, identity: "@EXAMPLE.COM"}))
	f.Add(sign(f, baseMessage, signOpts{domain: "example.com", selector: "strict", signer: rk, identity: "a@Mail.Example.com"}))
	f.Add("ARC-Seal: i=1; cv=none; a=rsa-sha256; d=list.example.org; s=arc; b=AAAA\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=list.example.org; s=arc; h=from; bh=AAAA; b=AAAA\r\nARC-Authentication-Results: i=1; x; dkim=pass\r\n" + baseMessage)
	f.Add("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; l=99999; bh=AAAA; b=AAAA\r\nFrom: a@example.com\n\nbody")
	f.Add("From x\r\n\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, msg string) {
		done := make(chan *Result, 1)
		go func() {
			done <- New(Options{Resolver: z, Now: fixedNow}).Check(ctxT(t), Input{Message: []byte(msg), IP: testIP, MailFrom: "a@example.com"})
		}()
		var res *Result
		select {
		case res = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("no result after 5s for %q", msg)
		}
		for _, d := range res.DKIM {
			if d.Result == "" {
				t.Fatalf("signature without result: %+v", d)
			}
		}
		if res.ARC == nil || res.DMARC == nil || res.SPF == nil {
			t.Fatal("missing part")
		}
		if res.ARC.Result == StatusPass && res.ARC.Structure != "ok" {
			t.Fatalf("chain passes with structure %q", res.ARC.Structure)
		}
		if strings.Count(strings.ToLower(msg), "dkim-signature") == 0 && len(res.DKIM) > 0 {
			t.Fatalf("results without signatures")
		}
	})
}

// FuzzHeaderSplit: a check without DNS reads the caller's split of a
// header (Input.Header) as it reads its own (checkHeaderLikeSplit), the
// header-only one on a path of its own (checkHeaderOffline).
func FuzzHeaderSplit(f *testing.F) {
	f.Add("From: \"A, B\" <a@example.com>\nDKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=s; h=from:to;\n\tbh=AAAA; b=AA\n BB; c=odd\n\nbody\n")
	f.Add("ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x.org; s=arc; b=AAAA\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=x.org; s=arc; h=from; bh=AAAA; b=AAAA\r\nARC-Authentication-Results: i=1; x; dkim=pass\r\n" + baseMessage)
	f.Add("From: =?x-unknown?q?a?= <a@b.example.co.uk>\nfrom: second@example.org\n\n")
	f.Fuzz(func(t *testing.T, msg string) {
		checkHeaderLikeSplit(t, msg, []byte(msg))
	})
}
