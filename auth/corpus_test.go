package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/dns"
)

const corpusDir = "../../shared/corpus"

// corpusFiles lists the shared corpus, or skips when it is not there.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".eml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not available: %v", err)
	}
	return files
}

// anyKey answers every key query with one RSA key and nothing else: with
// it go-msgauth gets as far as comparing body hashes, so its verdict (body
// hash mismatch, or a signature mismatch after a matching body hash) is an
// independent check of this package's body canonicalization.
type anyKey struct {
	dns.Resolver
	rec string
}

func (a anyKey) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if strings.Contains(name, "._domainkey.") {
		return []string{a.rec}, nil
	}
	return a.Resolver.LookupTXT(ctx, name)
}

// TestCorpus runs every real message through the checks, offline and
// against DNS that knows no name, and checks the body hash comparison of
// every real signature against go-msgauth's.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	rk, _, _ := testKeys(t)
	empty := zone(t, "")
	keyed := anyKey{empty, keyRecord(t, rk)}
	var sigs, compared, matched, arcChains, arcOK int
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		in := Input{IP: testIP, MailFrom: "a@example.com"}
		off := check(t, nil, string(raw), in)
		on := check(t, empty, string(raw), in)
		if off.Checked || !on.Checked {
			t.Errorf("%s: checked offline %v, with DNS %v", path, off.Checked, on.Checked)
		}
		for i, d := range on.DKIM {
			if d.Result == StatusPass || d.Result == "" {
				t.Errorf("%s: signature %d: result %q without any key", path, i+1, d.Result)
			}
		}
		for i, d := range check(t, keyed, string(raw), in).DKIM {
			sigs++
			if d.BodyHash == "match" {
				matched++
			}
			if d.Expires != nil || d.BodyLength != nil || !strings.HasPrefix(d.Algorithm, "rsa") {
				continue // go-msgauth stops before the body hash
			}
			lib := map[Problem]string{ProblemBodyHashMismatch: "mismatch", ProblemSignatureInvalid: "match"}[d.Problem]
			if lib == "" {
				continue
			}
			compared++
			if lib != d.BodyHash {
				t.Errorf("%s: signature %d (%s, %s): go-msgauth says body %s, mailtrace %s", path, i+1, d.Domain, d.Canon, lib, d.BodyHash)
			}
		}
		if on.ARC.Instances > 0 {
			arcChains++
			if on.ARC.Structure == "ok" {
				arcOK++
			}
		}
	}
	t.Logf("%d files; %d DKIM signatures, %d body hashes match, %d compared with go-msgauth; %d ARC chains, %d well-formed",
		len(files), sigs, matched, compared, arcChains, arcOK)
	if compared < sigs/2 {
		t.Errorf("only %d of %d signatures compared", compared, sigs)
	}
}
