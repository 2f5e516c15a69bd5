#!/usr/bin/env bash
# Installs what the SMTP scripts need from Debian: swaks (a scriptable SMTP client, with the Perl TLS
# modules it uses for STARTTLS) and postfix (for smtp-source and smtp-sink). Postfix is installed
# without configuration and must not start a daemon: the preseed answer "No configuration" leaves it
# unconfigured, and a temporary policy-rc.d forbids service starts during the install.
# Idempotent: does nothing when the tools are already there.
set -euo pipefail

if command -v swaks >/dev/null && command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null &&
	perl -MIO::Socket::SSL -e1 2>/dev/null; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "smtp-install: need root to install swaks and postfix" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	swaks postfix libnet-ssleay-perl libio-socket-ssl-perl ca-certificates >/dev/null
command -v swaks smtp-source smtp-sink >/dev/null
