#!/usr/bin/python3
"""build.py : signs the interop corpus anew (with dkimpy and Mail::DKIM, see
../README.md), writing ../*.eml, ../cases.json and ../interop.zone.
Run from anywhere with /usr/bin/python3 (Debian's python3-dkim, python3-nacl,
python3-authres, and libmail-dkim-perl for perl)."""
import subprocess, json, os, sys, shlex
B = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + '/'
T = B + 'tools/'
K = B + 'keys/'
OUT = B

class M(bytes):
    """A message and the commands that made it (cmds), kept through edits."""
    def _wrap(self, b, edited):
        r = M(b)
        r.cmds = self.cmds + (['edited by tools/cases.py'] if edited and self.cmds[-1:] != ['edited by tools/cases.py'] else [])
        return r
    def replace(self, old, new, count=-1):
        b = bytes.replace(self, old, new, count)
        return self._wrap(b, b != bytes(self))
    def __add__(self, other):
        return self._wrap(bytes(self) + other, True)
    def __radd__(self, other):
        return self._wrap(other + bytes(self), False)

def cmds(m):
    return getattr(m, 'cmds', [])

def run(cmd, data):
    p = subprocess.run(cmd, input=bytes(data), capture_output=True)
    if p.returncode: sys.exit('%s: %s' % (cmd, p.stderr.decode()))
    out = M(p.stdout)
    shown = [os.path.relpath(a, B) if isinstance(a, str) and a.startswith(B) else a for a in cmd]
    out.cmds = cmds(data) + [' '.join(shlex.quote(a) for a in shown)]
    return out
def opts(o): return ['%s=%s' % kv for kv in o.items()]
def py(msg, key, sel, canon, dom='example.org', **o):
    return run(['/usr/bin/python3', T + 'py_sign.py', K + key, dom, sel, canon] + opts(o), msg)
def pl(msg, key, sel, canon, dom='example.org', **o):
    return run(['perl', T + 'pl_sign.pl', K + key, dom, sel, canon] + opts(o), msg)
def pyarc(msg, key, dom, sel, srv, results, **o):
    return run(['/usr/bin/python3', T + 'py_arc.py', K + key, dom, sel, srv, results] + opts(o), msg)
def plarc(msg, key, dom, sel, srv, results, chain='ar'):
    return run(['perl', T + 'pl_arc.pl', K + key, dom, sel, srv, results, chain], msg)

def base(n, frm='Alice <alice@example.org>', subject='interop test', body=None, extra=b'', eol=b'\r\n'):
    if body is None:
        body = b'Hello Bob,\r\n\r\nthe figures are attached.\r\n'
    h = (b'From: ' + frm.encode() + b'\r\nTo: bob@example.net\r\nSubject: ' + subject.encode() +
         b'\r\nDate: Mon, 02 Jun 2025 10:00:00 +0000\r\nMessage-ID: <' + str(n).encode() +
         b'@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n' + extra)
    m = h + b'\r\n' + body
    return m.replace(b'\r\n', eol) if eol != b'\r\n' else m

def received(m, ip='192.0.2.10', helo='mail.example.org', mail_from='alice@example.org', by='mx.example.net'):
    eol = b'\r\n' if b'\r\n' in m else b'\n'
    top = (b'Return-Path: <' + mail_from.encode() + b'>' + eol +
           b'Received: from ' + helo.encode() + b' (' + helo.encode() + b' [' + ip.encode() + b'])' + eol +
           b'\tby ' + by.encode() + b' (Postfix) with ESMTPS id 4AbCd1; Mon, 02 Jun 2025 10:00:05 +0000' + eol)
    return top + m

cases = []
def case(name, m, note, ip='192.0.2.10', helo='mail.example.org', mail_from='alice@example.org', mbox=False, raw=False):
    if not raw:
        m = received(m, ip, helo, mail_from)
    if mbox:
        eol = b'\r\n' if b'\r\n' in m else b'\n'
        m = b'From alice@example.org Mon Jun  2 10:00:05 2025' + eol + m
    path = OUT + name + '.eml'
    open(path, 'wb').write(m)
    cases.append({'name': name, 'note': note, 'ip': ip, 'helo': helo, 'mail_from': mail_from, 'made_by': cmds(m)})

subprocess.run(['/usr/bin/python3', T + 'mkzone.py', B + 'interop.zone'], check=True)
exec(open(T + 'cases.py').read())
json.dump(cases, open(B + 'cases.json', 'w'), indent=1)
print(len(cases), 'cases')

README = """# Interop corpus

Messages signed and sealed by two independent implementations, for
`TestInterop` (auth/interop_test.go), which checks mailtrace's DKIM, ARC, SPF
and DMARC results against what the reference verifiers found, or, where they
disagree, against the RFC (the test says which, case by case).

Made on Debian 12 with:

- dkimpy 1.1.4 (`python3-dkim`, run with `/usr/bin/python3`): `tools/py_sign.py`
  (`dkim.sign`) and `tools/py_arc.py` (`dkim.ARC.sign`, which takes cv= from
  the `arc=` result of the Authentication-Results field it is given);
- Mail::DKIM 1.20230212 (`libmail-dkim-perl`): `tools/pl_sign.pl`
  (`Mail::DKIM::Signer`) and `tools/pl_arc.pl` (`Mail::DKIM::ARC::Signer`).
  This version signs RSA only.

Verified with dkimpy's `dkim.verify`/`dkim.arc_verify`, Mail::DKIM's
`Mail::DKIM::Verifier`/`Mail::DKIM::ARC::Verifier`, pyspf 2.0.14
(`python3-spf`) and authheaders 0.15.2's `dmarc_per_from` (`python3-authheaders`),
all pointed at `interop.zone`. The verifiers are not needed to run the tests.

- `keys/`: test-only private keys (RSA 512, 1024, 2048; Ed25519 seeds as dkimpy
  reads them). Never use them for anything else.
- `interop.zone`: the key records (selector `._domainkey` TXT), SPF and `_dmarc`
  records, made by `tools/mkzone.py`.
- `cases.json`: per message, what it shows and the SMTP facts the test checks
  SPF with (client IP, HELO, MAIL FROM).
- `tools/build.py` makes everything anew (new signatures, new `t=`), with the
  recipe of each message in `tools/cases.py`: `/usr/bin/python3 tools/build.py`.
  The expected results in interop_test.go then hold as they are.

Before checking, `build.py` adds a `Return-Path` and a `Received` field above
each message, as the receiving MTA would; `edited by tools/cases.py` below
means the message was changed after the step before it (a list footer, a
field added or changed, LF line ends, a set removed).

| file | what it shows | made by |
| --- | --- | --- |
"""

def readme_row(c):
    made = '<br>'.join('`%s`' % x.replace('|', '\\\\|') for x in c['made_by']) or 'tools/cases.py (unsigned)'
    return '| %s.eml | %s | %s |\n' % (c['name'], c['note'].replace('|', '\\\\|'), made)

open(B + 'README.md', 'w').write(README + ''.join(readme_row(c) for c in cases))
