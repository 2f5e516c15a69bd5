package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mailtrace/mailtrace/dns"
)

// Key sizes accepted. RFC 8301 §3.2: verifiers MUST NOT accept RSA keys
// under 1024 bits. The upper bound is mailtrace's: a modulus of 64 kbit
// costs seconds per verification and no signer uses one.
const (
	minRSABits = 1024
	maxRSABits = 8192
)

// publicKey is a DKIM key record (RFC 6376 §3.6.1) ready to verify with.
type publicKey struct {
	alg    string // "rsa" or "ed25519" (RFC 8463)
	rsa    *rsa.PublicKey
	ed     ed25519.PublicKey
	hashes []string // h=, nil for any
	bits   int
	// testing and strict are the t= flags y and s (RFC 6376 §3.6.1).
	testing, strict bool
}

// keyError is why no usable key was found.
type keyError struct {
	problem Problem
	reason  string
}

func (e *keyError) Error() string { return e.reason }

// keyName is the DNS name of a selector's key (RFC 6376 §3.6.2.1).
func keyName(selector, domain string) string {
	return selector + "._domainkey." + domain
}

// fetchKey looks up and parses the key of selector and domain.
func (l *lookups) fetchKey(selector, domain string) (*publicKey, *keyError) {
	if selector == "" || domain == "" {
		return nil, &keyError{ProblemMalformed, "signature has no selector or domain"}
	}
	name := keyName(selector, domain)
	txts, err := l.lookupTXT(name)
	if err != nil {
		return nil, lookupKeyError(name, err)
	}
	switch len(txts) {
	case 0:
		return nil, &keyError{ProblemKeyNotFound, "no key record at " + name}
	case 1:
	default:
		// RFC 6376 §3.6.2.2: several records give undefined results.
		return nil, &keyError{ProblemKeyInvalid, fmt.Sprintf("%d TXT records at %s", len(txts), name)}
	}
	return l.keys.parse(txts[0])
}

// lookupKeyError classifies a failed key lookup.
func lookupKeyError(name string, err error) *keyError {
	switch dns.StatusOf(err) {
	case dns.StatusNotChecked:
		return &keyError{ProblemNotChecked, "key not looked up: DNS is offline"}
	case dns.StatusNone:
		return &keyError{ProblemKeyNotFound, "no key record at " + name + " today"}
	case dns.StatusPermError:
		return &keyError{ProblemKeyInvalid, "key lookup failed: " + err.Error()}
	default:
		return &keyError{ProblemKeyUnavailable, "key lookup failed: " + err.Error()}
	}
}

// keyCache keeps parsed key records across messages: a run sees the same
// few keys again and again, and parsing an RSA key costs as much as half a
// verification. It holds at most maxCachedKeys records.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]parsedKey
}

type parsedKey struct {
	key *publicKey
	err *keyError
}

const maxCachedKeys = 4096

func (c *keyCache) parse(txt string) (*publicKey, *keyError) {
	if c == nil {
		return parseKey(txt)
	}
	c.mu.Lock()
	p, ok := c.keys[txt]
	c.mu.Unlock()
	if ok {
		return p.key, p.err
	}
	p.key, p.err = parseKey(txt)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKeys {
		c.keys = map[string]parsedKey{}
	}
	c.keys[txt] = p
	c.mu.Unlock()
	return p.key, p.err
}

// parseKey reads a key record (RFC 6376 §3.6.1).
func parseKey(txt string) (*publicKey, *keyError) {
	tags, err := parseTagList(txt)
	if err != nil {
		return nil, &keyError{ProblemKeyInvalid, "key record: " + err.Error()}
	}
	if v, ok := tags.get("v"); ok && v != "DKIM1" {
		return nil, &keyError{ProblemKeyInvalid, fmt.Sprintf("key record version %q", v)}
	}
	p, ok := tags.get("p")
	if !ok {
		return nil, &keyError{ProblemKeyInvalid, "key record has no p="}
	}
	p = stripFWS(p)
	if p == "" {
		return nil, &keyError{ProblemKeyRevoked, "key revoked (empty p=)"}
	}
	if s, ok := tags.get("s"); ok {
		svc := colonList(s)
		if !slices.Contains(svc, "*") && !slices.Contains(svc, "email") {
			return nil, &keyError{ProblemKeyInvalid, "key not for email (s=" + s + ")"}
		}
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, &keyError{ProblemKeyInvalid, "key p= is not base64"}
	}
	k := &publicKey{}
	if h, ok := tags.get("h"); ok {
		k.hashes = colonList(h)
	}
	k.readFlags(tags.value("t"))
	return k, k.decode(strings.ToLower(stripFWS(tags.value("k"))), der)
}

// readFlags reads t=, a colon-separated list of flags (RFC 6376 §3.6.1):
// y (testing) and s (i= must be in d= itself, not below it). Flags are
// ABNF quoted strings, so of either case; unknown flags are ignored, as
// the RFC requires.
func (k *publicKey) readFlags(t string) {
	for _, f := range colonList(t) {
		switch {
		case strings.EqualFold(f, "y"):
			k.testing = true
		case strings.EqualFold(f, "s"):
			k.strict = true
		}
	}
}

func (k *publicKey) decode(alg string, der []byte) *keyError {
	switch alg {
	case "", "rsa":
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// RFC 6376 erratum 3017: some publish a bare RSAPublicKey.
			var err2 error
			if pub, err2 = x509.ParsePKCS1PublicKey(der); err2 != nil {
				return &keyError{ProblemKeyInvalid, "key p= is no RSA key: " + err.Error()}
			}
		}
		r, ok := pub.(*rsa.PublicKey)
		if !ok {
			return &keyError{ProblemKeyInvalid, fmt.Sprintf("key p= is %T, not RSA", pub)}
		}
		k.alg, k.rsa, k.bits = "rsa", r, r.N.BitLen()
		if k.bits < minRSABits || k.bits > maxRSABits {
			return &keyError{ProblemKeyInvalid, fmt.Sprintf("RSA key of %d bits (accepted: %d to %d)", k.bits, minRSABits, maxRSABits)}
		}
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return &keyError{ProblemKeyInvalid, fmt.Sprintf("Ed25519 key of %d bytes", len(der))}
		}
		k.alg, k.ed, k.bits = "ed25519", ed25519.PublicKey(der), 256
	default:
		return &keyError{ProblemUnsupported, fmt.Sprintf("key algorithm k=%q", alg)}
	}
	return nil
}

// parseAlgorithm reads a= ("rsa-sha256", "ed25519-sha256"). rsa-sha1 is
// refused (RFC 8301 §3.1).
func parseAlgorithm(a string) (keyAlg string, err error) {
	switch strings.ToLower(stripFWS(a)) {
	case "rsa-sha256":
		return "rsa", nil
	case "ed25519-sha256":
		return "ed25519", nil
	case "rsa-sha1":
		return "", errSHA1
	}
	return "", fmt.Errorf("algorithm %q", a)
}

// loweredAlgorithm is parseAlgorithm of an a= value as sigTags.lowered
// gives it (folding white space gone, lower case): the two algorithms
// signers use are told without lowering them again.
func loweredAlgorithm(a string) (keyAlg string, err error) {
	switch a {
	case "rsa-sha256":
		return "rsa", nil
	case "ed25519-sha256":
		return "ed25519", nil
	}
	return parseAlgorithm(a)
}

// errSHA1 is made once: many an old signature meets it.
var errSHA1 = errors.New("rsa-sha1 is too weak (RFC 8301)")

// verify checks sig over the SHA-256 digest of the signed data. Ed25519
// signs the digest too (RFC 8463 §3).
func (k *publicKey) verify(digest, sig []byte) error {
	switch k.alg {
	case "rsa":
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest, sig)
	case "ed25519":
		if !ed25519.Verify(k.ed, digest, sig) {
			return errors.New("ed25519: invalid signature")
		}
		return nil
	}
	return errors.New("no key")
}

// allows reports whether the key's h= permits sha256.
func (k *publicKey) allows() bool {
	return k.hashes == nil || slices.Contains(k.hashes, "sha256")
}
