#!/usr/bin/python3
"""py_arc.py KEY DOMAIN SELECTOR SRVID RESULTS [alg=ed25519-sha256] < msg > sealed
Adds 'Authentication-Results: SRVID; RESULTS' as the forwarder's MTA would, then
dkimpy's ARC set on top (dkim.ARC.sign, which takes cv from the arc= result)."""
import sys, dkim, time
key, domain, sel, srv, results = sys.argv[1:6]
o = dict(a.split('=', 1) for a in sys.argv[6:])
msg = sys.stdin.buffer.read()
eol = b'\r\n' if b'\r\n' in msg else b'\n'
msg = b'Authentication-Results: ' + srv.encode() + b'; ' + results.encode() + eol + msg
a = dkim.ARC(msg, signature_algorithm=o.get('alg', 'rsa-sha256').encode())
hdrs = a.sign(sel.encode(), domain.encode(), open(key, 'rb').read(), srv.encode(),
              include_headers=a.default_sign_headers())
if not hdrs:
    sys.exit('arc sign: nothing produced')
sys.stdout.buffer.write(b''.join(h.replace(b'\r\n', eol) for h in hdrs) + msg)
