import re
# DKIM: algorithms and canonicalizations, by both signers
for c in ['simple/simple', 'relaxed/relaxed', 'relaxed/simple', 'simple/relaxed']:
    tag = c.replace('relaxed', 'r').replace('simple', 's').replace('/', '')
    case('py-rsa2048-' + tag, py(base(1), 'rsa2048.pem', 'rsa2048', c), 'dkimpy rsa-sha256 2048 c=' + c)
    case('py-ed25519-' + tag, py(base(2), 'ed.key', 'ed', c, alg='ed25519-sha256'), 'dkimpy ed25519-sha256 c=' + c)
    case('pl-rsa1024-' + tag, pl(base(3), 'rsa1024.pem', 'rsa1024', c), 'Mail::DKIM rsa-sha256 1024 c=' + c)

# l= body length: exactly the body, and text appended after signing
m = py(base(4), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', length='1')
case('py-l-exact', m, 'dkimpy l= covering the whole body')
case('py-l-appended', m + b'\r\nUNSIGNED APPENDIX\r\n', 'dkimpy l=, text appended after signing')
m = py(base(4, body=b'short\r\n'), 'rsa2048.pem', 'rsa2048', 'simple/simple', length='1')
case('py-l-simple-appended', m + b'more\r\n', 'dkimpy l= simple, a line appended')

# several signatures: one good, one bad (signed by the wrong key for its selector)
m = py(base(5), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed')
m = py(m, 'rsa2048.pem', 'rsa1024', 'relaxed/simple')  # key does not match the selector's record
case('multi-bad-top-good-bottom', m, 'top signature made with the wrong key, bottom one good')
m = pl(base(6), 'rsa1024.pem', 'rsa1024', 'relaxed/relaxed')
m = py(m, 'ed.key', 'ed', 'relaxed/relaxed', alg='ed25519-sha256')
case('multi-rsa-ed-both-good', m, 'Mail::DKIM rsa then dkimpy ed25519 on top, both good')

# over-signing and fields signed twice
case('pl-oversign', pl(base(7), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', oversign='From,Subject,To'), 'Mail::DKIM h= names From, Subject, To once more than they occur')
twice = b'X-Tag: first\r\nX-Tag: second\r\n'
case('py-twice', py(base(8, extra=twice), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', h='from:to:subject:x-tag:x-tag:x-tag'), 'X-Tag occurs twice, h= names it three times')
m = py(base(8, extra=twice), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', h='from:to:subject:x-tag:x-tag:x-tag')
case('py-twice-added', m.replace(b'X-Tag: first', b'X-Tag: third\r\nX-Tag: first'), 'X-Tag added above after signing: over-signed h= must fail')
m = py(base(8, extra=twice), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', h='from:to:subject:x-tag')
case('py-twice-bottom', m.replace(b'X-Tag: first\r\n', b'X-Tag: changed\r\n'), 'h= names X-Tag once: the bottom instance signed, the top changed: pass')
case('py-twice-bottom-changed', m.replace(b'X-Tag: second\r\n', b'X-Tag: changed\r\n'), 'h= names X-Tag once: the bottom instance changed: fail')

# folded and long header fields, 8-bit and UTF-8
longsub = 'a subject that goes on ' * 6
fold = b'X-Long: ' + b'word ' * 20 + b'\r\n\t' + b'more\twords   here ' * 5 + b'\r\n  end\r\n'
for c in ['simple/simple', 'relaxed/relaxed']:
    tag = c[0] + c[-1 - len(c.split('/')[1]) + 1]
    case('pl-folded-' + c.replace('/', '-'), pl(base(9, subject=longsub, extra=fold), 'rsa2048.pem', 'rsa2048', c, oversign='X-Long'), 'Mail::DKIM, long folded fields, c=' + c)
    case('py-folded-' + c.replace('/', '-'), py(base(9, subject=longsub, extra=fold), 'rsa2048.pem', 'rsa2048', c, h='from:to:subject:x-long'), 'dkimpy, long folded fields, c=' + c)
    utf = base(10, frm='Jürgen Müller <juergen@example.org>', subject='Grüße – ünïcödé ✓', extra='X-Raw: caf\u00e9 \u65e5\u672c\r\n'.encode())
    case('py-utf8-' + c.replace('/', '-'), py(utf, 'rsa2048.pem', 'rsa2048', c, h='from:to:subject:x-raw'), 'dkimpy, raw UTF-8 header fields, c=' + c)
    case('pl-utf8-' + c.replace('/', '-'), pl(utf, 'rsa2048.pem', 'rsa2048', c, oversign='X-Raw'), 'Mail::DKIM, raw UTF-8 header fields, c=' + c)
    lat = base(11, subject='caf', extra=b'X-Latin1: caf\xe9 cr\xe8me\r\n').replace(b'Subject: caf', b'Subject: caf\xe9')
    case('py-latin1-' + c.replace('/', '-'), py(lat, 'rsa2048.pem', 'rsa2048', c, h='from:to:subject:x-latin1'), 'dkimpy, 8-bit Latin-1 header fields, c=' + c)

# bodies
bodies = {
    'trailing-empty': b'line one\r\n\r\n\r\n\r\n',
    'no-final-crlf': b'line one\r\nline two',
    'ws-line-ends': b'line one   \r\n\tline two\t \r\nline  three \t\r\n \r\n',
    'empty': b'',
    'only-crlfs': b'\r\n\r\n',
    'ws-only-last': b'text\r\n \t \r\n',
}
for name, body in bodies.items():
    for c in ['simple/simple', 'relaxed/relaxed', 'simple/relaxed']:
        case('py-body-%s-%s' % (name, c.replace('/', '-')), py(base(12, body=body), 'rsa2048.pem', 'rsa2048', c), 'dkimpy body %s c=%s' % (name, c))
    case('pl-body-%s-rr' % name, pl(base(12, body=body), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), 'Mail::DKIM body %s c=relaxed/relaxed' % name)
    case('pl-body-%s-ss' % name, pl(base(12, body=body), 'rsa2048.pem', 'rsa2048', 'simple/simple'), 'Mail::DKIM body %s c=simple/simple' % name)

# LF line ends on disk
for c in ['simple/simple', 'relaxed/relaxed']:
    m = py(base(13), 'rsa2048.pem', 'rsa2048', c)
    case('lf-stored-' + c.replace('/', '-'), m.replace(b'\r\n', b'\n'), 'signed CRLF, stored with LF, c=' + c)
    case('lf-mbox-' + c.replace('/', '-'), m.replace(b'\r\n', b'\n'), 'signed CRLF, stored with LF after an mbox From line, c=' + c, mbox=True)
    m = py(base(13, eol=b'\n'), 'ed.key', 'ed', c, alg='ed25519-sha256')
    case('lf-signed-' + c.replace('/', '-'), m, 'dkimpy signed a LF file (as CRLF), c=' + c)
    m = py(base(13, body=b'a\r\nb\nc\r\n'), 'rsa2048.pem', 'rsa2048', c)
    case('mixed-eol-' + c.replace('/', '-'), m, 'body with one bare LF, signed by dkimpy (reads it as CRLF), c=' + c)
    m = py(base(13, body=b'a\r\nb\rc\r\n'), 'rsa2048.pem', 'rsa2048', c)
    case('bare-cr-' + c.replace('/', '-'), m, 'body with a bare CR, signed by dkimpy, c=' + c)

# changed after signing
m = py(base(14), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed')
case('body-changed', m.replace(b'figures', b'FIGURES'), 'body changed after signing: body hash mismatch')
case('header-changed', m.replace(b'Subject: interop test', b'Subject: interop TEST!'), 'Subject changed after signing: signature mismatch')
case('header-refolded-relaxed', m.replace(b'Subject: interop test', b'Subject:   interop\r\n\t test'), 'Subject refolded after relaxed signing: still passes')
m = py(base(14), 'rsa2048.pem', 'rsa2048', 'simple/simple')
case('header-refolded-simple', m.replace(b'Subject: interop test', b'Subject: interop\r\n test'), 'Subject refolded after simple signing: fails')
case('body-ws-simple', m.replace(b'attached.\r\n', b'attached. \r\n'), 'space added at a line end, simple: body hash mismatch')

# key records
case('key-testing', py(base(15), 'rsa2048.pem', 'testy', 'relaxed/relaxed'), 'key with t=y')
case('key-strict-sub', py(base(15), 'rsa2048.pem', 'stricts', 'relaxed/relaxed', i='alice@sub.example.org'), 'key t=s, i= in a subdomain of d=')
case('key-strict-same', py(base(15), 'rsa2048.pem', 'stricts', 'relaxed/relaxed', i='alice@example.org'), 'key t=s, i= in d=')
case('key-h-sha256', py(base(15), 'rsa2048.pem', 'hsha256', 'relaxed/relaxed'), 'key h=sha256')
case('key-h-sha1', py(base(15), 'rsa2048.pem', 'hsha1', 'relaxed/relaxed'), 'key h=sha1 refuses rsa-sha256')
case('key-revoked', py(base(15), 'rsa2048.pem', 'revoked', 'relaxed/relaxed'), 'key revoked (p= empty)')
case('key-short', pl(base(15), 'rsa512.pem', 'short', 'relaxed/relaxed'), 'RSA 512 key: too short (RFC 8301)')
case('key-ed-no-k', py(base(15), 'ed.key', 'ednok', 'relaxed/relaxed', alg='ed25519-sha256'), 'ed25519 signature, key record without k= (k=rsa by default)')
case('key-missing', py(base(15), 'rsa2048.pem', 'nosuch', 'relaxed/relaxed'), 'no key record (NXDOMAIN)')

# ARC
LIST = dict(ip='198.51.100.5', helo='lists.example.net', mail_from='bounce@example.net')
RELAY = dict(ip='203.0.113.7', helo='relay.example.com', mail_from='bounce@example.com')
AR1 = 'dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org'
AR2 = 'arc=pass; dkim=fail header.d=example.org; spf=pass smtp.mailfrom=example.net'
AR3 = 'arc=pass; dkim=fail header.d=example.org; spf=pass smtp.mailfrom=example.com'
def listify(m):
    eol = b'\r\n' if b'\r\n' in m else b'\n'
    return m.replace(b'Subject: interop test', b'Subject: [list] interop test') + b'-- ' + eol + b'list footer' + eol
orig = received(py(base(20), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), by='lists.example.net')
a1py = pyarc(listify(orig), 'fwd1.pem', 'example.net', 'arc', 'lists.example.net', AR1)
a1pl = plarc(listify(orig), 'fwd1.pem', 'example.net', 'arc', 'lists.example.net', AR1)
case('arc1-py', a1py, 'dkimpy arcsign, one set, list changed the message before sealing', **LIST)
case('arc1-pl', a1pl, 'Mail::DKIM ARC signer, one set', **LIST)
a2pypl = plarc(received(a1py, by='relay.example.com', **LIST), 'fwd2.pem', 'example.com', 'arc', 'relay.example.com', AR2)
a2plpy = pyarc(received(a1pl, by='relay.example.com', **LIST), 'fwd2.pem', 'example.com', 'arc', 'relay.example.com', AR2)
case('arc2-py-pl', a2pypl, 'dkimpy then Mail::DKIM', **RELAY)
case('arc2-pl-py', a2plpy, 'Mail::DKIM then dkimpy', **RELAY)
a3 = pyarc(received(a2pypl, by='mx2.example.net', **RELAY), 'fwd3.pem', 'example.net', 'arc3', 'mx2.example.net', AR3)
case('arc3-py-pl-py', a3, 'three sets: dkimpy, Mail::DKIM, dkimpy', ip='203.0.113.8', helo='mx2.example.net', mail_from='bounce@example.com')
a3pl = plarc(received(a2plpy, by='mx2.example.net', **RELAY), 'fwd3.pem', 'example.net', 'arc3', 'mx2.example.net', AR3)
case('arc3-pl-py-pl', a3pl, 'three sets: Mail::DKIM, dkimpy, Mail::DKIM', ip='203.0.113.8', helo='mx2.example.net', mail_from='bounce@example.com')
# broken chains
ARF = 'arc=fail; dkim=fail header.d=example.org'
case('arc2-cvfail-py', pyarc(received(a1py, by='relay.example.com', **LIST), 'fwd2.pem', 'example.com', 'arc', 'relay.example.com', ARF), 'second sealer (dkimpy) recorded cv=fail', **RELAY)
case('arc2-cvfail-pl', plarc(received(a1py, by='relay.example.com', **LIST), 'fwd2.pem', 'example.com', 'arc', 'relay.example.com', ARF), 'second sealer (Mail::DKIM) recorded cv=fail', **RELAY)
def mod_seal(m, inst):
    return m._wrap(re.sub(rb'(ARC-Seal: i=%d;[^\n]*?t=)(\d+)' % inst, lambda x: x.group(1) + str(int(x.group(2)) + 1).encode(), m, count=1, flags=re.S), True)
mm = mod_seal(a2pypl, 1); assert mm != a2pypl
case('arc2-seal1-modified', mm, 'ARC-Seal i=1 t= changed after the second seal', **RELAY)
mm = a2pypl.replace(b'dkim=pass header.d=example.org; spf=pass', b'dkim=pass header.d=example.org;  spf=pass', 1)
case('arc2-aar1-respaced', mm, 'AAR i=1: whitespace added (relaxed: no change)', **RELAY)
mm = a2pypl.replace(b'i=1; lists.example.net; dkim=pass', b'i=1; lists.example.net; dkim=PASS', 1)
assert mm != a2pypl
case('arc2-aar1-modified', mm, 'AAR i=1 changed after sealing', **RELAY)
def drop_set(m, inst):
    lines = m.split(b'\r\n'); out = []; skip = False
    for l in lines:
        if l[:1] in (b' ', b'\t'):
            if not skip: out.append(l)
            continue
        skip = l.lower().startswith((b'arc-seal:', b'arc-message-signature:', b'arc-authentication-results:')) and re.search(rb'\bi\s*=\s*%d\s*;' % inst, l) is not None
        if not skip: out.append(l)
    return m._wrap(b'\r\n'.join(out), True)
mm = drop_set(a3, 2); assert mm != a3
case('arc3-gap', mm, 'set i=2 removed from a chain of 3', ip='203.0.113.8', helo='mx2.example.net', mail_from='bounce@example.com')
case('arc1-body-after', a1py.replace(b'list footer', b'LIST FOOTER'), 'body changed after the only seal', **LIST)
mid = listify(received(a1py, by='relay.example.com', **LIST)).replace(b'list footer', b'list footer 2')
case('arc2-body-between', pyarc(mid, 'fwd2.pem', 'example.com', 'arc', 'relay.example.com', AR2), 'body changed between sets 1 and 2 (AMS 1 fails, chain passes)', **RELAY)
case('arc1-lf', a1py.replace(b'\r\n', b'\n'), 'one set stored with LF', **LIST)
case('arc2-lf', a2plpy.replace(b'\r\n', b'\n'), 'two sets stored with LF', **RELAY)
dup = a1py.replace(b'ARC-Seal: i=1;', b'ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x; s=y; b=AAAA\r\nARC-Seal: i=1;', 1)
case('arc1-dup-seal', dup, 'two ARC-Seal i=1', **LIST)

# DMARC
case('dmarc-sub-aligned', py(base(30, frm='alice@sub.example.org'), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), 'From in a subdomain without _dmarc, d= the org domain: relaxed pass', ip='203.0.113.9', helo='out.example.com', mail_from='x@example.com')
case('dmarc-sub-fail', base(31, frm='alice@sub.example.org'), 'From in a subdomain, unsigned, SPF of another domain: fail, sp=quarantine', ip='203.0.113.9', helo='out.example.com', mail_from='x@example.com')
case('dmarc-sub-own-key', py(base(30, frm='alice@sub.example.org'), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', dom='sub.example.org'), 'From in a subdomain, d= the subdomain: pass', ip='203.0.113.9', helo='out.example.com', mail_from='x@example.com')
case('dmarc-strict-relaxed-only', py(base(32, frm='alice@strict.example.org'), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), 'adkim=s aspf=s, d= and MAIL FROM in the org domain: fail, p=quarantine pct=25', mail_from='b@bounce.example.org')
case('dmarc-strict-aligned', py(base(33, frm='alice@strict.example.org'), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', dom='strict.example.org'), 'adkim=s with d= the From domain: pass', mail_from='b@bounce.example.org')
case('dmarc-spf-relaxed', base(34), 'unsigned, SPF pass for bounce.example.org: relaxed alignment pass', mail_from='b@bounce.example.org')
case('dmarc-none', base(35, frm='eve@example.com'), 'p=none domain, SPF fail', mail_from='eve@example.com')
case('dmarc-multi-from-attacker-first', py(base(36, frm='Eve <eve@example.com>, Alice <alice@example.org>'), 'fwd2.pem', 'arc', 'relaxed/relaxed', dom='example.com'), 'From lists example.com then example.org; only example.com authenticated', ip='203.0.113.9', helo='out.example.com', mail_from='eve@example.com')
case('dmarc-multi-from-victim-first', py(base(37, frm='Alice <alice@example.org>, Eve <eve@example.com>'), 'fwd2.pem', 'arc', 'relaxed/relaxed', dom='example.com'), 'From lists example.org then example.com; only example.com authenticated', ip='203.0.113.9', helo='out.example.com', mail_from='eve@example.com')
case('dmarc-multi-from-same-org', py(base(38, frm='alice@example.org, bob@sub.example.org'), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), 'two From addresses in one organisation, signed by it', ip='203.0.113.9', helo='out.example.com', mail_from='x@example.com')

# odd header syntax and tags
ws = base(40).replace(b'Subject: interop test', b'Subject : interop test')
case('pl-ws-before-colon-simple', pl(ws, 'rsa2048.pem', 'rsa2048', 'simple/simple'), 'Subject with WSP before the colon (obs-syntax), simple')
case('pl-ws-before-colon-relaxed', pl(ws, 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), 'Subject with WSP before the colon (obs-syntax), relaxed')
noblank = base(41, body=b'').replace(b'\r\n\r\n', b'\r\n')
case('pl-no-body-no-blank', pl(noblank, 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed'), 'header only, no empty line')
case('pl-identity-upper', pl(base(42), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', i='alice@EXAMPLE.ORG'), 'i= in upper case, d= lower')
case('pl-domain-upper', pl(base(43), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', dom='Example.ORG'), 'd= in mixed case')
case('key-spaced-p', py(base(44), 'rsa2048.pem', 'spaced', 'relaxed/relaxed'), 'key record p= with spaces inside (FWS allowed)')
case('key-hboth-ty-ts', py(base(44), 'rsa2048.pem', 'hboth', 'relaxed/relaxed'), 'key h=sha1:sha256 s=email t=y:s, i= absent')

# internationalised From domain (RFC 8616): d= in A-labels, From in U-labels, strict alignment
case('idn-from-strict', py(base(46, frm='Jürgen <j@bücher.example.org>'), 'rsa2048.pem', 'rsa2048', 'relaxed/relaxed', dom='xn--bcher-kva.example.org'), 'From domain in U-labels, d= its A-label form, adkim=s', ip='203.0.113.9', helo='out.example.com', mail_from='x@example.com')
