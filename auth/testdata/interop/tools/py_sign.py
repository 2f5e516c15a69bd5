#!/usr/bin/python3
"""py_sign.py KEY DOMAIN SELECTOR CANON [alg=ed25519-sha256] [length=1] [i=ID] [h=a:b] < msg > signed
Prepends dkimpy's DKIM-Signature, with the message's own line ends."""
import sys, dkim
key, domain, sel, canon = sys.argv[1:5]
o = dict(a.split('=', 1) for a in sys.argv[5:])
msg = sys.stdin.buffer.read()
h, b = canon.split('/')
kw = {}
if 'h' in o: kw['include_headers'] = [x.encode() for x in o['h'].split(':')]
sig = dkim.sign(msg, sel.encode(), domain.encode(), open(key, 'rb').read(),
    identity=o['i'].encode() if 'i' in o else None,
    canonicalize=(h.encode(), b.encode()),
    signature_algorithm=o.get('alg', 'rsa-sha256').encode(),
    length=o.get('length') == '1', **kw)
eol = b'\r\n' if b'\r\n' in msg else b'\n'
sys.stdout.buffer.write(sig.replace(b'\r\n', eol) + msg)
