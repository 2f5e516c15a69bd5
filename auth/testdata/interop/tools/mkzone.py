#!/usr/bin/python3
"""mkzone.py ZONEFILE : writes the zone the interop messages are checked against, from the keys in ../keys."""
import base64, subprocess, sys, os
import nacl.signing
K = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'keys') + '/'
def rsa_p(name):
    der = subprocess.run(['openssl','rsa','-in',K+name,'-pubout','-outform','DER'],capture_output=True,check=True).stdout
    return base64.b64encode(der).decode()
def ed_p(name):
    seed = base64.b64decode(open(K + name + '.key', 'rb').read())
    return base64.b64encode(bytes(nacl.signing.SigningKey(seed).verify_key)).decode()
def txt(name, value):
    parts = [value[i:i+200] for i in range(0, len(value), 200)] or ['']
    return '%s. 300 IN TXT %s\n' % (name, ' '.join('"%s"' % p.replace('"','\\"') for p in parts))
out = ['; made by tools/mkzone.py: the keys of keys/, SPF and DMARC records of the interop corpus\n']
for z in ['example.org','example.net','example.com']:
    out.append('%s. 300 IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n' % (z,z,z))
    out.append('%s. 300 IN NS ns.%s.\n' % (z,z))
o='example.org'
r2048, r1024 = rsa_p('rsa2048.pem'), rsa_p('rsa1024.pem')
out += [
 txt('rsa2048._domainkey.'+o, 'v=DKIM1; k=rsa; p='+r2048),
 txt('rsa1024._domainkey.'+o, 'v=DKIM1; k=rsa; p='+r1024),
 txt('ed._domainkey.'+o, 'v=DKIM1; k=ed25519; p='+ed_p('ed')),
 txt('ednok._domainkey.'+o, 'v=DKIM1; p='+ed_p('ed')),
 txt('short._domainkey.'+o, 'v=DKIM1; k=rsa; p='+rsa_p('rsa512.pem')),
 txt('testy._domainkey.'+o, 'v=DKIM1; k=rsa; t=y; p='+r2048),
 txt('stricts._domainkey.'+o, 'v=DKIM1; k=rsa; t=s; p='+r2048),
 txt('hsha256._domainkey.'+o, 'v=DKIM1; k=rsa; h=sha256; p='+r2048),
 txt('hsha1._domainkey.'+o, 'v=DKIM1; k=rsa; h=sha1; p='+r2048),
 txt('revoked._domainkey.'+o, 'v=DKIM1; k=rsa; p='),
 txt('arc._domainkey.example.net', 'v=DKIM1; k=rsa; p='+rsa_p('fwd1.pem')),
 txt('arced._domainkey.example.net', 'v=DKIM1; k=ed25519; p='+ed_p('fwded')),
 txt('arc._domainkey.example.com', 'v=DKIM1; k=rsa; p='+rsa_p('fwd2.pem')),
 txt('arc3._domainkey.example.net', 'v=DKIM1; k=rsa; p='+rsa_p('fwd3.pem')),
 txt('rsa2048._domainkey.strict.'+o, 'v=DKIM1; k=rsa; p='+r2048),
 txt('rsa2048._domainkey.sub.'+o, 'v=DKIM1; k=rsa; p='+r2048),
 txt('spaced._domainkey.'+o, 'v=DKIM1; k=rsa; p='+' '.join(r2048[i:i+64] for i in range(0,len(r2048),64))),
 txt('hboth._domainkey.'+o, 'v=DKIM1; k=rsa; h=sha1:sha256; s=email; t=y:s; p='+r2048),
 txt('rsa2048._domainkey.xn--bcher-kva.'+o, 'v=DKIM1; k=rsa; p='+r2048),
 txt('_dmarc.xn--bcher-kva.'+o, 'v=DMARC1; p=reject; adkim=s; aspf=s'),
 txt(o, 'v=spf1 ip4:192.0.2.0/24 -all'),
 txt('sub.'+o, 'v=spf1 ip4:192.0.2.0/24 -all'),
 txt('strict.'+o, 'v=spf1 ip4:192.0.2.0/24 -all'),
 txt('bounce.'+o, 'v=spf1 ip4:192.0.2.0/24 -all'),
 txt('example.net', 'v=spf1 ip4:198.51.100.0/24 -all'),
 txt('example.com', 'v=spf1 ip4:203.0.113.0/24 -all'),
 txt('_dmarc.'+o, 'v=DMARC1; p=reject; sp=quarantine; pct=100'),
 txt('_dmarc.strict.'+o, 'v=DMARC1; p=quarantine; adkim=s; aspf=s; pct=25'),
 txt('_dmarc.example.com', 'v=DMARC1; p=none'),
]
open(sys.argv[1],'w').write(''.join(out))
