package received

import (
	"strings"
	"testing"
	"time"
)

// want lists every field a case checks; an empty string means the field
// must be empty.
type want struct {
	helo, rdns, ip string
	port           int
	ident          string
	byHost, byIP   string
	with, via, id  string
	rcpt           string // For
	tls, auth, env string
	time           string // RFC 3339 with the written offset; "" for nil
	mta, software  string
	forged         bool
	parsed         Parsed
	note           string // a substring one of the notes must contain
}

func (w want) check(t *testing.T, h Hop) {
	t.Helper()
	got := want{
		h.From.HELO, h.From.RDNS, h.From.IP, h.From.Port, h.From.Ident,
		h.By.Host, h.By.IP, h.With, h.Via, h.ID, h.For, h.TLS, h.Auth, h.EnvelopeFrom,
		timeText(h.Time), h.MTA, h.Software, h.MayBeForged, h.Parsed, w.note,
	}
	if got != w {
		t.Errorf("\n got %+v\nwant %+v\nnotes %q", got, w, h.Notes)
	}
	notes := strings.Join(h.Notes, "|")
	if w.note != "" && !strings.Contains(notes, w.note) {
		t.Errorf("notes %q lack %q", h.Notes, w.note)
	}
	if strings.Contains(notes, "weekday") && !strings.Contains(w.note, "weekday") {
		t.Errorf("crafted case has a wrong weekday: %q", h.Notes)
	}
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// Each case is shaped after what the named MTA writes; names and addresses
// are documentation values.
var parseCases = []struct {
	name, in string
	want     want
}{
	// Postfix smtpd with TLS and SASL (smtpd_tls_received_header = yes).
	{"postfix tls sasl", "from [192.168.4.253] (dsl-4-253.example.net [198.51.100.253])\r\n" +
		"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n" +
		"\t(No client certificate requested)\r\n\t(Authenticated sender: alice)\r\n" +
		"\tby mail.example.org (Postfix) with ESMTPSA id 4B1C86DD4CD\r\n" +
		"\tfor <bob@example.net>; Fri, 30 Oct 2009 19:11:08 +1100 (EST)",
		want{helo: "[192.168.4.253]", rdns: "dsl-4-253.example.net", ip: "198.51.100.253",
			byHost: "mail.example.org", with: "ESMTPSA", id: "4B1C86DD4CD", rcpt: "bob@example.net",
			tls: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", auth: "Authenticated sender: alice; ESMTPSA",
			time: "2009-10-30T19:11:08+11:00", mta: "postfix", software: "Postfix", parsed: ParsedFull}},
	// Postfix: no reverse name.
	{"postfix unknown", "from client.example.com (unknown [203.0.113.5]) by mx.example.net (Postfix) with ESMTP id 4ABCD1234 for <u@example.net>; Mon,  1 Jan 2024 10:00:00 +0000 (UTC)",
		want{helo: "client.example.com", ip: "203.0.113.5", byHost: "mx.example.net", with: "ESMTP", id: "4ABCD1234",
			rcpt: "u@example.net", time: "2024-01-01T10:00:00Z", mta: "postfix", software: "Postfix", parsed: ParsedFull}},
	// Postfix re-injection after a content filter.
	{"postfix localhost", "from localhost (localhost [127.0.0.1])\n\tby mx.example.net (Postfix) with ESMTP id 7C912107E8\n\tfor <jm@localhost>; Fri, 31 Aug 2001 04:39:15 +0100 (IST)",
		want{helo: "localhost", rdns: "localhost", ip: "127.0.0.1", byHost: "mx.example.net", with: "ESMTP", id: "7C912107E8",
			rcpt: "jm@localhost", time: "2001-08-31T04:39:15+01:00", mta: "postfix", software: "Postfix", parsed: ParsedFull}},
	// Postfix pickup: local submission by a user id.
	{"postfix from userid", "by mx.example.net (Postfix, from userid 1000)\n\tid 3F2A1C0; Tue, 24 Jun 2008 01:55:15 -0700 (PDT)",
		want{ident: "userid 1000", byHost: "mx.example.net", id: "3F2A1C0", time: "2008-06-24T01:55:15-07:00",
			mta: "postfix", software: "Postfix", parsed: ParsedFull}},
	// Postfix with an IPv6 client.
	{"postfix ipv6 literal", "from mx1.example.org (mx1.example.org [IPv6:2001:db8:0:104::25]) by mail.example.com (Postfix) with ESMTPS id 90D649C08C; Fri, 23 Jan 2009 11:10:54 +0100 (CET)",
		want{helo: "mx1.example.org", rdns: "mx1.example.org", ip: "2001:db8:0:104::25", byHost: "mail.example.com",
			with: "ESMTPS", id: "90D649C08C", time: "2009-01-23T11:10:54+01:00", mta: "postfix", software: "Postfix", parsed: ParsedFull}},
	// Sendmail: the HELO name's DNS does not lead back to the address.
	{"sendmail may be forged", "from helo.example.org (dsl-7.example.net [198.51.100.7] (may be forged)) by mail.example.com (8.14.4/8.14.4) with ESMTP id p1ABCxyz012345 for <bob@example.com>; Sun, 18 Feb 2001 08:28:16 GMT (envelope-from alice@example.org)",
		want{helo: "helo.example.org", rdns: "dsl-7.example.net", ip: "198.51.100.7", byHost: "mail.example.com",
			with: "ESMTP", id: "p1ABCxyz012345", rcpt: "bob@example.com", env: "alice@example.org",
			time: "2001-02-18T08:28:16Z", mta: "sendmail", software: "8.14.4/8.14.4", forged: true, parsed: ParsedFull}},
	// Sendmail with an RFC 1413 ident answer and an address literal.
	{"sendmail user at literal", "from example.org (alice@[198.51.100.9]) by mail.example.com (8.8.5/8.8.5) with SMTP id NAA18138; Sat, 12 Jul 1997 13:10:48 -0700 (PDT)",
		want{helo: "example.org", ip: "198.51.100.9", ident: "alice", byHost: "mail.example.com", with: "SMTP",
			id: "NAA18138", time: "1997-07-12T13:10:48-07:00", mta: "sendmail", software: "8.8.5/8.8.5", parsed: ParsedFull}},
	// Sendmail, old style with a bare version.
	{"sendmail root localhost", "from localhost (root@localhost) by host.example.com (8.8.5) id KAA22531; Mon, 1 Dec 1997 10:48:46 -0700 (MST)",
		want{helo: "localhost", rdns: "localhost", ident: "root", byHost: "host.example.com", id: "KAA22531",
			time: "1997-12-01T10:48:46-07:00", mta: "sendmail", software: "8.8.5", parsed: ParsedFull}},
	// Sendmail submission of a local user.
	{"sendmail local submission", "(from apache@localhost)\n\tby www.example.com (8.14.4/8.14.4/Submit) id o8M7Urh3018672;\n\tWed, 22 Sep 2010 02:30:53 -0500 (CDT)",
		want{ident: "apache", byHost: "www.example.com", id: "o8M7Urh3018672", time: "2010-09-22T02:30:53-05:00",
			mta: "sendmail", software: "8.14.4/8.14.4/Submit", parsed: ParsedFull}},
	// Exim with port, HELO, TLS written as "(TLS1.2) tls cipher".
	{"exim helo port tls", "from host.example.net ([198.51.100.20]:41234 helo=client.example)\n\tby mx.example.org with esmtps (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <a@example.net>)\n\tid 1qAbCd-000123-Xy\n\tfor b@example.org; Tue, 07 Mar 2023 14:29:24 +0100",
		want{helo: "client.example", rdns: "host.example.net", ip: "198.51.100.20", port: 41234, byHost: "mx.example.org",
			with: "esmtps", id: "1qAbCd-000123-Xy", rcpt: "b@example.org", tls: "TLS1.2; TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
			env: "a@example.net", time: "2023-03-07T14:29:24+01:00", mta: "exim", software: "Exim 4.96", parsed: ParsedFull}},
	// Exim copies MAIL FROM into its comment as given, and a quoted local part may hold ")" (RFC 5321
	// §4.1.2): the comment runs to the end of the quoted string, so the by-, id- and for-clauses and
	// the date the sender wrote there are not the receiver's. They were read as the hop's id and for.
	{"exim quoted envelope-from with a paren", "from mail.evil.example ([203.0.113.9] helo=mail.evil.example)\n\tby mx.victim.example with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t(Exim 4.97)\n\t(envelope-from <\"x) by mx.victim.example with esmtpsa id fake for <ceo@victim.example>; Tue, 3 Nov 2026 10:00:00 +0000 (y\"@evil.example>)\n\tid 1abcde-000123-AB\n\tfor bob@victim.example; Tue, 03 Nov 2026 10:00:05 +0000",
		want{helo: "mail.evil.example", rdns: "mail.evil.example", ip: "203.0.113.9", byHost: "mx.victim.example",
			with: "esmtps", id: "1abcde-000123-AB", rcpt: "bob@victim.example", tls: "TLS1.3; TLS_AES_256_GCM_SHA384",
			env:  `"x) by mx.victim.example with esmtpsa id fake for <ceo@victim.example>; Tue, 3 Nov 2026 10:00:00 +0000 (y"@evil.example`,
			time: "2026-11-03T10:00:05Z", mta: "exim", software: "Exim 4.97", parsed: ParsedFull}},
	{"exim quoted envelope-from with spaces", "from h.example.net ([198.51.100.20] helo=h.example.net) by mx.example.org with esmtp (Exim 4.96) (envelope-from <\"a b\"@example.net>) id 1qAbCd-000123-Xy for b@example.org; Tue, 07 Mar 2023 14:29:24 +0100",
		want{helo: "h.example.net", rdns: "h.example.net", ip: "198.51.100.20", byHost: "mx.example.org", with: "esmtp",
			id: "1qAbCd-000123-Xy", rcpt: "b@example.org", env: `"a b"@example.net`, time: "2023-03-07T14:29:24+01:00",
			mta: "exim", software: "Exim 4.96", parsed: ParsedFull}},
	// Exim when the client has no reverse name.
	{"exim address first", "from [203.0.113.8] (port=33872 helo=pc.local) by relay.example.org with esmtpsa (TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256) (Exim 4.94.2) (envelope-from <c@example.org>) id 1hZ2pN-0008Kp-5K for d@example.net; Fri, 07 Jun 2019 03:33:53 +0300",
		want{helo: "pc.local", ip: "203.0.113.8", port: 33872, byHost: "relay.example.org", with: "esmtpsa",
			id: "1hZ2pN-0008Kp-5K", rcpt: "d@example.net", tls: "TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256",
			auth: "esmtpsa", env: "c@example.org", time: "2019-06-07T03:33:53+03:00", mta: "exim", software: "Exim 4.94.2",
			parsed: ParsedFull, note: "from IP read from the from-name"}},
	// Exim 3 with an ident answer.
	{"exim ident", "from lists.example.net ([10.3.1.4] helo=lists.example.net ident=listd) by list2.example.net with smtp (Exim 3.31-VA-mm2 #1 (Debian)) id 17f141-00043a-00 for <x@example.org>; Wed, 14 Aug 2002 09:32:05 -0700",
		want{helo: "lists.example.net", rdns: "lists.example.net", ip: "10.3.1.4", ident: "listd", byHost: "list2.example.net",
			with: "smtp", id: "17f141-00043a-00", rcpt: "x@example.org", time: "2002-08-14T09:32:05-07:00", mta: "exim",
			software: "Exim 3.31-VA-mm2 #1 (Debian)", parsed: ParsedFull}},
	// Exim: a local user hands a message in.
	{"exim local user", "from alice by mail.example.org with local (Exim 4.96)\n\t(envelope-from <alice@example.org>)\n\tid 1qZzZz-0001Ab-Cd; Mon, 03 Apr 2017 22:24:42 +0200",
		want{ident: "alice", byHost: "mail.example.org", with: "local", id: "1qZzZz-0001Ab-Cd", env: "alice@example.org",
			time: "2017-04-03T22:24:42+02:00", mta: "exim", software: "Exim 4.96", parsed: ParsedFull}},
	// qmail: comment-only fields.
	{"qmail invoked from network", "(qmail 12345 invoked from network); 29 Apr 2012 23:34:45 -0000",
		want{time: "2012-04-29T23:34:45Z", mta: "qmail", parsed: ParsedFull, note: "invoked from network"}},
	{"qmail invoked by uid", "(qmail 4321 invoked by uid 1000); 3 Jun 2002 13:34:30 -0000",
		want{ident: "uid 1000", time: "2002-06-03T13:34:30Z", mta: "qmail", parsed: ParsedFull}},
	// qmail-smtpd: "(HELO x)" and the address in parentheses.
	{"qmail helo", "from unknown (HELO client.example) (198.51.100.33)\n  by mail.example.com with SMTP; 8 Mar 2017 01:21:00 -0000",
		want{helo: "client.example", ip: "198.51.100.33", byHost: "mail.example.com", with: "SMTP",
			time: "2017-03-08T01:21:00Z", mta: "qmail", parsed: ParsedFull}},
	// qmail-smtpd leaves "(HELO x)" out when the HELO is the reverse name
	// (or there was none): the name is then both, which its date shows.
	{"qmail no helo", "from scanner.worldgate.com (198.161.84.3) by taz.hyperreal.org with SMTP; 1 Dec 1997 17:50:04 -0000",
		want{helo: "scanner.worldgate.com", rdns: "scanner.worldgate.com", ip: "198.161.84.3", byHost: "taz.hyperreal.org",
			with: "SMTP", time: "1997-12-01T17:50:04Z", mta: "qmail", parsed: ParsedFull}},
	{"qmail no helo, no reverse name, ident", "from unknown (root@192.0.2.9)\n  by mx.example.org with ESMTP; 1 Jun 2025 10:00:00 -0000",
		want{helo: "unknown", ip: "192.0.2.9", ident: "root", byHost: "mx.example.org", with: "ESMTP",
			time: "2025-06-01T10:00:00Z", mta: "qmail", parsed: ParsedFull}},
	// The same shape with another date, or with the address bracketed, is
	// not qmail's: the name stays the HELO.
	{"bare address, weekday date", "from mta-c-24-10.infusionmail.com (208.76.24.10) by example.com with SMTP; Thu, 27 Mar 2014 14:07:03 -0400",
		want{helo: "mta-c-24-10.infusionmail.com", ip: "208.76.24.10", byHost: "example.com", with: "SMTP",
			time: "2014-03-27T14:07:03-04:00", parsed: ParsedFull}},
	{"bracketed address, qmail-like date", "from mx.example.net ([192.0.2.9]) by mx.example.org with ESMTP; 1 Jun 2025 10:00:00 -0000",
		want{helo: "mx.example.net", ip: "192.0.2.9", byHost: "mx.example.org", with: "ESMTP",
			time: "2025-06-01T10:00:00Z", parsed: ParsedFull}},
	// qmail-ldap with smtp-auth ident and envelope sender.
	{"qmail-ldap", "from unknown (HELO laptop) (alice@[198.51.100.4])\n  (envelope-sender <alice@example.net>)\n  by smtp.example.com (qmail-ldap-1.03) with SMTP\n  for <bob@example.com>; 1 Jan 2024 10:00:00 -0000",
		want{helo: "laptop", ip: "198.51.100.4", ident: "alice", byHost: "smtp.example.com", with: "SMTP", rcpt: "bob@example.com",
			env: "alice@example.net", time: "2024-01-01T10:00:00Z", mta: "qmail", software: "qmail-ldap-1.03", parsed: ParsedFull}},
	// qmail-scanner names the envelope sender in the from-clause.
	{"qmail-scanner", "from alice@example.com by mx.example.com by uid 89 with qmail-scanner-1.25 (clamdscan: 0.75-1.  Clear:RC:0(198.51.100.56):.  Processed in 1.163709 secs); 07 Nov 2004 21:30:59 -0000",
		want{ip: "198.51.100.56", ident: "uid 89", byHost: "mx.example.com", with: "qmail-scanner-1.25", env: "alice@example.com",
			time: "2004-11-07T21:30:59Z", mta: "qmail", software: "clamdscan: 0.75-1. Clear:RC:0(198.51.100.56):. Processed in 1.163709 secs", parsed: ParsedFull}},
	// qpsmtpd writes qmail's TCP-info and its own name.
	{"qpsmtpd", "from host.example.org (HELO host.example.org) (192.0.2.22) by mx.example.com (qpsmtpd/0.96) with ESMTPS; Thu, 29 Apr 2021 23:34:45 -0700",
		want{helo: "host.example.org", rdns: "host.example.org", ip: "192.0.2.22", byHost: "mx.example.com", with: "ESMTPS",
			time: "2021-04-29T23:34:45-07:00", mta: "qpsmtpd", software: "qpsmtpd/0.96", parsed: ParsedFull}},
	// Microsoft SMTPSVC (IIS / Exchange 2003).
	{"smtpsvc", "from mail.example.com ([192.0.2.10]) by EXCH01.corp.example.com with Microsoft SMTPSVC(6.0.3790.4675);\r\n\t Wed, 14 Feb 2018 02:19:37 +0900",
		want{helo: "mail.example.com", ip: "192.0.2.10", byHost: "EXCH01.corp.example.com", with: "Microsoft SMTPSVC",
			time: "2018-02-14T02:19:37+09:00", mta: "exchange", software: "Microsoft SMTPSVC(6.0.3790.4675)", parsed: ParsedFull}},
	// Exchange 2013+: addresses in parentheses, a dotted id that is no address.
	{"exchange tls", "from EX01.corp.example.com (10.1.2.3) by EX02.corp.example.com (10.1.2.4) with Microsoft SMTP Server\r\n (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.6;\r\n Wed, 13 Feb 2019 05:47:32 -0500",
		want{helo: "EX01.corp.example.com", ip: "10.1.2.3", byHost: "EX02.corp.example.com", byIP: "10.1.2.4",
			with: "Microsoft SMTP Server", id: "15.1.2507.6", tls: "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
			time: "2019-02-13T05:47:32-05:00", mta: "exchange", software: "Microsoft SMTP Server", parsed: ParsedFull}},
	// Exchange MAPI hop: link-local addresses with zone ids.
	{"exchange mapi zone", "from EX01.corp.example.com ([fe80::1%11]) by EX01.corp.example.com ([fe80::d82c:67bf:ec39:a403%9]) with mapi id 15.01.2507.006; Thu, 27 Mar 2014 17:28:13 -0500",
		want{helo: "EX01.corp.example.com", ip: "fe80::1", byHost: "EX01.corp.example.com", byIP: "fe80::d82c:67bf:ec39:a403",
			with: "mapi", id: "15.01.2507.006", time: "2014-03-27T17:28:13-05:00", mta: "exchange", parsed: ParsedFull,
			note: "zone %11 dropped"}},
	// Microsoft 365 frontend.
	{"m365 frontend", "from BL2NAM06FT015.eop-nam06.prod.protection.outlook.com (2603:10b6:5:114:cafe::fb) by DM6PR00CA0023.outlook.office365.com\r\n (2603:10b6:5:114::36) with Microsoft SMTP Server (version=TLS1_2,\r\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6108.0 via Frontend\r\n Transport; Fri, 3 Feb 2023 05:09:23 +0000",
		want{helo: "BL2NAM06FT015.eop-nam06.prod.protection.outlook.com", ip: "2603:10b6:5:114:cafe::fb",
			byHost: "DM6PR00CA0023.outlook.office365.com", byIP: "2603:10b6:5:114::36", with: "Microsoft SMTP Server",
			via: "Frontend Transport", id: "15.20.6108.0", tls: "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
			time: "2023-02-03T05:09:23Z", mta: "m365", software: "Microsoft SMTP Server", parsed: ParsedFull}},
	// Microsoft 365 mailbox delivery over HTTPS.
	{"m365 https", "from SN6PR04MB4480.namprd04.prod.outlook.com (2603:10b6:803:41::31) by SN6PR04MB4477.namprd04.prod.outlook.com with HTTPS via SN4PR0501CA0054.NAMPRD05.PROD.OUTLOOK.COM; Wed, 13 Feb 2019 10:48:13 +0000",
		want{helo: "SN6PR04MB4480.namprd04.prod.outlook.com", ip: "2603:10b6:803:41::31", byHost: "SN6PR04MB4477.namprd04.prod.outlook.com",
			with: "HTTPS", via: "SN4PR0501CA0054.NAMPRD05.PROD.OUTLOOK.COM", time: "2019-02-13T10:48:13Z", mta: "m365", parsed: ParsedFull}},
	// Exchange writes some lines without the ";".
	{"exchange no semicolon", "from EX01.corp.example.com (10.1.2.3) by EX02.corp.example.com (10.1.2.4) with Microsoft SMTP Server id 14.3.498.0 Mon, 10 Oct 2022 15:11:35 -0500",
		want{helo: "EX01.corp.example.com", ip: "10.1.2.3", byHost: "EX02.corp.example.com", byIP: "10.1.2.4",
			with: "Microsoft SMTP Server", id: "14.3.498.0", time: "2022-10-10T15:11:35-05:00", mta: "exchange",
			software: "Microsoft SMTP Server", parsed: ParsedFull, note: "no \";\""}},
	// Gmail internal hop: a bare IPv6 by-host.
	{"gmail internal ipv6", "by 2002:a05:6a10:8d0e:0:0:0:0 with SMTP id y30csp895790nnd;\r\n        Fri, 3 Mar 2023 02:27:40 -0800 (PST)",
		want{byHost: "2002:a05:6a10:8d0e:0:0:0:0", byIP: "2002:a05:6a10:8d0e::", with: "SMTP", id: "y30csp895790nnd",
			time: "2023-03-03T02:27:40-08:00", mta: "gmail", parsed: ParsedFull}},
	// Gmail MX receiving from Google's own outbound.
	{"gmail mx", "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id p13sor3668128ljj.40.2020.10.26.05.43.29\r\n        for <bob@example.com>\r\n        (Google Transport Security);\r\n        Mon, 26 Oct 2020 05:43:29 -0700 (PDT)",
		want{helo: "mail-sor-f41.google.com", rdns: "mail-sor-f41.google.com", ip: "209.85.220.41", byHost: "mx.google.com",
			with: "SMTPS", id: "p13sor3668128ljj.40.2020.10.26.05.43.29", rcpt: "bob@example.com", tls: "Google Transport Security",
			time: "2020-10-26T05:43:29-07:00", mta: "gmail", parsed: ParsedFull}},
	// Gmail MX over IPv6: rDNS written with its final dot.
	{"gmail mx ipv6", "from mail-qt0-x245.google.com (mail-qt0-x245.google.com. [2607:f8b0:400d:c0d::245])\r\n        by mx.google.com with ESMTPS id f23si8140935ybj.231.2017.05.03.08.41.35\r\n        for <bob@example.com>\r\n        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128);\r\n        Wed, 03 May 2017 08:41:35 -0700 (PDT)",
		want{helo: "mail-qt0-x245.google.com", rdns: "mail-qt0-x245.google.com", ip: "2607:f8b0:400d:c0d::245", byHost: "mx.google.com",
			with: "ESMTPS", id: "f23si8140935ybj.231.2017.05.03.08.41.35", rcpt: "bob@example.com",
			tls: "version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128", time: "2017-05-03T08:41:35-07:00", mta: "gmail", parsed: ParsedFull}},
	// Gmail submission: the client's HELO is an IPv6 literal between question marks.
	{"gmail submission", "from ?IPv6:2001:db8::5? ([2001:db8::5])\r\n        by smtp.gmail.com with ESMTPSA id oj16sm387578pjb.48.2022.07.26.20.42.32\r\n        (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128);\r\n        Tue, 26 Jul 2022 20:42:33 -0700 (PDT)",
		want{helo: "?IPv6:2001:db8::5?", ip: "2001:db8::5", byHost: "smtp.gmail.com", with: "ESMTPSA",
			id: "oj16sm387578pjb.48.2022.07.26.20.42.32", tls: "version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128",
			auth: "ESMTPSA", time: "2022-07-26T20:42:33-07:00", mta: "gmail", parsed: ParsedFull}},
	// Gmail web interface.
	{"gmail http", "by 10.36.5.10 with HTTP; Sun, 8 May 2005 12:09:11 -0700 (PDT)",
		want{byHost: "10.36.5.10", byIP: "10.36.5.10", with: "HTTP", time: "2005-05-08T12:09:11-07:00", mta: "gmail", parsed: ParsedFull}},
	// Yahoo webmail: "via HTTP" and a named zone.
	{"yahoo webmail", "from [198.51.100.77] by web12345.mail.ne1.yahoo.com via HTTP; Sun, 07 Feb 2010 14:02:38 PST",
		want{helo: "[198.51.100.77]", ip: "198.51.100.77", byHost: "web12345.mail.ne1.yahoo.com", via: "HTTP",
			time: "2010-02-07T14:02:38-08:00", mta: "yahoo", parsed: ParsedFull}},
	// Yahoo internal hop with only a by-clause.
	{"yahoo by only", "by nm3.bullet.mail.sp2.yahoo.com with NNFMP; 29 Jun 2012 12:06:38 -0000",
		want{byHost: "nm3.bullet.mail.sp2.yahoo.com", with: "NNFMP", time: "2012-06-29T12:06:38Z", mta: "yahoo", parsed: ParsedFull}},
	// Yahoo inbound: "(EHLO x) (ip)".
	{"yahoo inbound", "from 127.0.0.1  (EHLO sender.example.com) (198.51.100.112)\n  by mta1474.mail.gq1.yahoo.com with SMTPS; Sat, 06 Dec 2014 13:46:12 +0000",
		want{helo: "sender.example.com", ip: "198.51.100.112", byHost: "mta1474.mail.gq1.yahoo.com", with: "SMTPS",
			time: "2014-12-06T13:46:12Z", mta: "yahoo", parsed: ParsedFull}},
	// Amazon SES outbound as a receiver records it.
	{"ses", "from a8-30.smtp-out.amazonses.com (a8-30.smtp-out.amazonses.com [54.240.8.30]) by mx.example.org (Postfix) with ESMTPS id 2FD8D41621 for <bounce@example.org>; Thu, 28 May 2020 19:08:03 -0400 (EDT)",
		want{helo: "a8-30.smtp-out.amazonses.com", rdns: "a8-30.smtp-out.amazonses.com", ip: "54.240.8.30", byHost: "mx.example.org",
			with: "ESMTPS", id: "2FD8D41621", rcpt: "bounce@example.org", time: "2020-05-28T19:08:03-04:00", mta: "postfix",
			software: "Postfix", parsed: ParsedFull}},
	// SES submission endpoint.
	{"ses submission", "from [10.0.1.2] by email-smtp.us-east-1.amazonaws.com with SMTP (SimpleEmailService-d-ABCDEF123) id kXyZ for <bob@example.com>; Thu, 28 May 2020 23:08:01 +0000 (UTC)",
		want{helo: "[10.0.1.2]", ip: "10.0.1.2", byHost: "email-smtp.us-east-1.amazonaws.com", with: "SMTP", id: "kXyZ",
			rcpt: "bob@example.com", time: "2020-05-28T23:08:01Z", mta: "ses", software: "SimpleEmailService-d-ABCDEF123",
			parsed: ParsedFull, note: "from-name"}},
	// SendGrid filter hop: Go's time.Time.String, no ";".
	{"sendgrid go date", "by filterdrecv-656998cfdd-abcde with SMTP id filterdrecv-656998cfdd-abcde-1-5F3E-2A\n        2020-08-20 10:08:27.123456789 +0000 UTC m=+85283.212612843",
		want{byHost: "filterdrecv-656998cfdd-abcde", with: "SMTP", id: "filterdrecv-656998cfdd-abcde-1-5F3E-2A",
			time: "2020-08-20T10:08:27.123456789Z", mta: "sendgrid", parsed: ParsedFull}},
	// SendGrid: fractional seconds in an RFC 5322 date.
	{"sendgrid sg", "from out.example.com (unknown) by ismtpd0001p1lon1.sendgrid.net (SG) with ESMTP id mBvS2x for <bob@example.com>; Thu, 08 Aug 2019 13:45:34.249 +0000 (UTC)",
		want{helo: "out.example.com", byHost: "ismtpd0001p1lon1.sendgrid.net", with: "ESMTP", id: "mBvS2x", rcpt: "bob@example.com",
			time: "2019-08-08T13:45:34.249Z", mta: "sendgrid", software: "SG", parsed: ParsedFull}},
	// Mailgun outbound.
	{"mailgun", "from [127.0.0.1] (host.example.net [198.51.100.14]) by smtp-out-n01.prod.eu-central-1.postgun.com with SMTP id 5f86ca43c20cc98d9eabfed2 (version=TLS1.3, cipher=TLS_AES_128_GCM_SHA256); Wed, 14 Oct 2020 09:52:03 GMT",
		want{helo: "[127.0.0.1]", rdns: "host.example.net", ip: "198.51.100.14", byHost: "smtp-out-n01.prod.eu-central-1.postgun.com",
			with: "SMTP", id: "5f86ca43c20cc98d9eabfed2", tls: "version=TLS1.3, cipher=TLS_AES_128_GCM_SHA256",
			time: "2020-10-14T09:52:03Z", mta: "mailgun", parsed: ParsedFull}},
	// PowerMTA: envelope sender after the date.
	{"powermta", "from mta1.example.com (203.0.113.44) by mx.example.net (PowerMTA(TM) v3.5r15) id h13ska0ko6cn for <bob@example.net>; Wed, 15 Dec 2010 12:21:20 -0500 (envelope-from <bounce@example.com>)",
		want{helo: "mta1.example.com", ip: "203.0.113.44", byHost: "mx.example.net", id: "h13ska0ko6cn", rcpt: "bob@example.net",
			env: "bounce@example.com", time: "2010-12-15T12:21:20-05:00", mta: "powermta", software: "PowerMTA(TM) v3.5r15", parsed: ParsedFull}},
	// Haraka: a bare "envelope-from <...>" and a cipher comment.
	{"haraka", "from mail-oi1-f179.google.com (mail-oi1-f179.google.com [209.85.167.179])\r\n by mx.example.net (Haraka/2.8.25) with ESMTPS id B3C0198B-A390-42E9-9DDC-C57D8D207298.1\r\n envelope-from <alice@example.com>\r\n (cipher=TLS_AES_256_GCM_SHA384);\r\n Fri, 06 Nov 2020 12:20:14 +0000",
		want{helo: "mail-oi1-f179.google.com", rdns: "mail-oi1-f179.google.com", ip: "209.85.167.179", byHost: "mx.example.net",
			with: "ESMTPS", id: "B3C0198B-A390-42E9-9DDC-C57D8D207298.1", tls: "cipher=TLS_AES_256_GCM_SHA384", env: "alice@example.com",
			time: "2020-11-06T12:20:14Z", mta: "haraka", software: "Haraka/2.8.25", parsed: ParsedFull}},
	// Momentum (ecelerity).
	{"momentum", "from [10.0.0.224] ([10.0.0.224:41560] helo=rewind) by mta.example.com (envelope-from <a@example.com>) (ecelerity 4.2.38.62370 r(:)) with ESMTP id B5/4A-24865-DB864335; Thu, 27 Mar 2014 14:06:53 -0400",
		want{helo: "rewind", ip: "10.0.0.224", port: 41560, byHost: "mta.example.com", with: "ESMTP", id: "B5/4A-24865-DB864335",
			env: "a@example.com", time: "2014-03-27T14:06:53-04:00", mta: "momentum", software: "ecelerity 4.2.38.62370 r(:)", parsed: ParsedFull}},
	// CommuniGate Pro, authenticated submission.
	{"communigate", "from [198.51.100.50] (account alice@example.com HELO laptop) by mail.example.com (CommuniGate Pro SMTP 6.3.3) with ESMTPA id 12345 for bob@example.net; Fri, 16 May 2008 10:49:21 -0700",
		want{helo: "laptop", ip: "198.51.100.50", byHost: "mail.example.com", with: "ESMTPA", id: "12345", rcpt: "bob@example.net",
			auth: "account alice@example.com; ESMTPA", time: "2008-05-16T10:49:21-07:00", mta: "communigate",
			software: "CommuniGate Pro SMTP 6.3.3", parsed: ParsedFull, note: "from-name"}},
	// MDaemon.
	{"mdaemon", "from PC01 by mail.example.com (MDaemon PRO v19.5.2) with ESMTPA id md50001001.msg for <bob@example.com>; Tue, 12 Oct 2010 16:21:05 -0400",
		want{helo: "PC01", byHost: "mail.example.com", with: "ESMTPA", id: "md50001001.msg", rcpt: "bob@example.com", auth: "ESMTPA",
			time: "2010-10-12T16:21:05-04:00", mta: "mdaemon", software: "MDaemon PRO v19.5.2", parsed: ParsedFull}},
	// Lotus Domino: a blank before the ";".
	{"domino", "from mail.example.net ([198.51.100.60]) by notes.example.com (Lotus Domino Release 8.5.3FP6) with ESMTP id 2014061413352069-42153 ; Thu, 14 Jun 2007 13:35:20 -0700 ",
		want{helo: "mail.example.net", ip: "198.51.100.60", byHost: "notes.example.com", with: "ESMTP", id: "2014061413352069-42153",
			time: "2007-06-14T13:35:20-07:00", mta: "domino", software: "Lotus Domino Release 8.5.3FP6", parsed: ParsedFull}},
	// IBM gateway: "for <rcpt> from <sender>".
	{"ibm for from", "from localhost\r\n\tby gw.example.com with IBM ESMTP SMTP Gateway: Authorized Use Only! Violators will be prosecuted\r\n\tfor <bob@example.com> from <alice@example.org>;\r\n\tWed, 8 Mar 2017 16:46:25 -0000",
		want{helo: "localhost", byHost: "gw.example.com", with: "IBM ESMTP SMTP Gateway: Authorized Use Only! Violators will be prosecuted",
			rcpt: "bob@example.com", env: "alice@example.org", time: "2017-03-08T16:46:25Z", mta: "ibm", parsed: ParsedFull}},
	// OpenSMTPD with TLS after the id and auth words.
	{"opensmtpd", "from laptop.example.org (laptop.example.org [198.51.100.70])\n\tby mail.example.org (OpenSMTPD) with ESMTPSA id 3f2a9b1c (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO) auth=yes user=alice\n\tfor <bob@example.net>;\n\tMon, 19 Dec 2016 03:18:51 +0900 (JST)",
		want{helo: "laptop.example.org", rdns: "laptop.example.org", ip: "198.51.100.70", byHost: "mail.example.org", with: "ESMTPSA",
			id: "3f2a9b1c", rcpt: "bob@example.net", tls: "TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO", auth: "auth=yes; user=alice; ESMTPSA",
			time: "2016-12-19T03:18:51+09:00", mta: "opensmtpd", software: "OpenSMTPD", parsed: ParsedFull}},
	// OpenSMTPD local submission: ";" between the clauses.
	{"opensmtpd local", "from localhost (localhost [local]); by mail.example.org (OpenSMTPD) with ESMTPA id 1e2a9eaa; for <bob@example.jp>; Thu, 17 Jul 2014 11:20:14 +0000 (UTC)",
		want{helo: "localhost", rdns: "localhost", byHost: "mail.example.org", with: "ESMTPA", id: "1e2a9eaa", rcpt: "bob@example.jp",
			auth: "ESMTPA", time: "2014-07-17T11:20:14Z", mta: "opensmtpd", software: "OpenSMTPD", parsed: ParsedFull}},
	// Halon.
	{"halon", "from mail.example.net (mail.example.net [198.51.100.80]) by mx.example.com (Halon) with ESMTPS (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384) id 5b1e2c3d-1111-2222-3333-444455556666; Mon, 01 Jan 2024 10:00:00 +0000",
		want{helo: "mail.example.net", rdns: "mail.example.net", ip: "198.51.100.80", byHost: "mx.example.com", with: "ESMTPS",
			id: "5b1e2c3d-1111-2222-3333-444455556666", tls: "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384",
			time: "2024-01-01T10:00:00Z", mta: "halon", software: "Halon", parsed: ParsedFull}},
	// amavisd-new in a Postfix or Zimbra loop.
	{"amavis", "from mail.example.org ([127.0.0.1])\n\tby localhost (mail.example.org [127.0.0.1]) (amavisd-new, port 10024)\n\twith ESMTP id 3CpL4nm3Z4lW for <bob@example.org>;\n\tMon, 14 Apr 2008 17:03:17 +0200 (CEST)",
		want{helo: "mail.example.org", ip: "127.0.0.1", byHost: "localhost", byIP: "127.0.0.1", with: "ESMTP", id: "3CpL4nm3Z4lW",
			rcpt: "bob@example.org", time: "2008-04-14T17:03:17+02:00", mta: "amavis", software: "amavisd-new, port 10024", parsed: ParsedFull}},
	{"zimbra amavis loop", "from localhost ([127.0.0.1]) by mail.example.org (amavisd-new, port 10032) with ESMTP id 9XyZ1AbC; Mon, 14 Apr 2008 17:03:19 +0200 (CEST)",
		want{helo: "localhost", ip: "127.0.0.1", byHost: "mail.example.org", with: "ESMTP", id: "9XyZ1AbC",
			time: "2008-04-14T17:03:19+02:00", mta: "amavis", software: "amavisd-new, port 10032", parsed: ParsedFull}},
	// Proofpoint: filter re-injection, Sendmail underneath.
	{"proofpoint", "from pps.filterd (m0098419.ppops.net [127.0.0.1]) by mx0b-001b2d01.pphosted.com (8.16.0.20/8.16.0.20) with SMTP id v28GdUiK046963 for <bob@example.it>; Wed, 8 Mar 2017 11:46:30 -0500",
		want{helo: "pps.filterd", rdns: "m0098419.ppops.net", ip: "127.0.0.1", byHost: "mx0b-001b2d01.pphosted.com", with: "SMTP",
			id: "v28GdUiK046963", rcpt: "bob@example.it", time: "2017-03-08T11:46:30-05:00", mta: "proofpoint",
			software: "8.16.0.20/8.16.0.20", parsed: ParsedFull}},
	// Dovecot LMTP delivery.
	{"dovecot lmtp", "from mail.example.org\n\tby mail.example.org (Dovecot) with LMTP id YZv2MOmWGmDvLgAA4iEyMQ\n\tfor <bob@example.org>; Tue, 02 Feb 2021 23:34:45 +0900",
		want{helo: "mail.example.org", byHost: "mail.example.org", with: "LMTP", id: "YZv2MOmWGmDvLgAA4iEyMQ", rcpt: "bob@example.org",
			time: "2021-02-02T23:34:45+09:00", mta: "dovecot", software: "Dovecot", parsed: ParsedFull}},
	// Cyrus LMTP over a unix socket, authenticated.
	{"cyrus lmtpa", "from mail.example.org ([unix socket])\n\t by imap.example.org (Cyrus v2.2.12) with LMTPA;\n\t Sun, 18 Nov 2007 00:56:33 -0800",
		want{helo: "mail.example.org", byHost: "imap.example.org", with: "LMTPA", auth: "LMTPA",
			time: "2007-11-18T00:56:33-08:00", mta: "cyrus", software: "Cyrus v2.2.12", parsed: ParsedFull}},
	// LMTP greeting written like qmail's HELO.
	{"lhlo", "from smtp-gw.example.com (LHLO smtp-gw.example.com) (192.0.2.1) by smtp-gw.example.com with LMTP; Mon, 29 Apr 2013 23:45:46 +0900 (JST)",
		want{helo: "smtp-gw.example.com", rdns: "smtp-gw.example.com", ip: "192.0.2.1", byHost: "smtp-gw.example.com", with: "LMTP",
			time: "2013-04-29T23:45:46+09:00", mta: "qmail", parsed: ParsedFull}},
	// fetchmail.
	{"fetchmail", "from pop.example.net [198.51.100.110]\n\tby localhost with POP3 (fetchmail-6.4.37)\n\tfor <alice@localhost> (single-drop); Thu, 04 Apr 2002 16:41:45 -0500 (EST)",
		want{helo: "pop.example.net", ip: "198.51.100.110", byHost: "localhost", with: "POP3", rcpt: "alice@localhost",
			time: "2002-04-04T16:41:45-05:00", mta: "fetchmail", software: "fetchmail-6.4.37", parsed: ParsedFull}},
	// getmail.
	{"getmail", "from imap.example.net (imap.example.net [198.51.100.111]) by laptop.example.org with IMAP4-SSL (getmail4 4.54.0); Sat, 02 Mar 2024 09:15:00 -0000",
		want{helo: "imap.example.net", rdns: "imap.example.net", ip: "198.51.100.111", byHost: "laptop.example.org", with: "IMAP4-SSL",
			time: "2024-03-02T09:15:00Z", mta: "getmail", software: "getmail4 4.54.0", parsed: ParsedFull}},
	// SquirrelMail over HTTP with its authentication remark.
	{"webmail squirrelmail", "from 198.51.100.9 (SquirrelMail authenticated user alice) by webmail.example.com with HTTP; Sat, 17 Aug 2002 16:45:08 +0100 (IST)",
		want{helo: "198.51.100.9", ip: "198.51.100.9", byHost: "webmail.example.com", with: "HTTP", auth: "SquirrelMail authenticated user alice",
			time: "2002-08-17T16:45:08+01:00", parsed: ParsedFull, note: "from-name"}},
	// IPv4-mapped IPv6 address: the IPv4 address is kept.
	{"v4 mapped", "from client.example ([::ffff:198.51.100.23]) by mx.example.com with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000",
		want{helo: "client.example", ip: "198.51.100.23", byHost: "mx.example.com", with: "ESMTP", id: "1",
			time: "2024-01-01T10:00:00Z", parsed: ParsedFull, note: "unmapped"}},
	// InterMail: the true peer follows "really".
	{"intermail really", "from [10.0.0.1] (really [198.51.100.10]) by mta.example.com with ESMTP id <20071118085627.TQWF6995.mta.example.com@[10.0.0.1]>; Sun, 18 Nov 2007 08:56:27 +0000",
		want{helo: "[10.0.0.1]", ip: "198.51.100.10", byHost: "mta.example.com", with: "ESMTP",
			id: "<20071118085627.TQWF6995.mta.example.com@[10.0.0.1]>", time: "2007-11-18T08:56:27Z", parsed: ParsedFull}},
	// chasquid (internal/smtpsrv/conn.go): a client that did not
	// authenticate is written "[address] (EHLO)"; chasquid looks up no
	// reverse name, so the name in the comment is the client's greeting.
	{"chasquid", "from [198.51.100.25] (mx.example.net)\n\tby mail.example.org (chasquid) with ESMTPS\n\ttls TLS_AES_256_GCM_SHA384\n" +
		"\t(over SMTP, TLS-1.3, envelope from \"bob@example.net\")\n\t; Tue, 14 May 2024 14:20:06 +0200",
		want{helo: "mx.example.net", ip: "198.51.100.25", byHost: "mail.example.org", with: "ESMTPS",
			tls: "TLS_AES_256_GCM_SHA384; TLS-1.3", env: "bob@example.net", time: "2024-05-14T14:20:06+02:00",
			mta: "chasquid", software: "chasquid", parsed: ParsedFull, note: "from-name"}},
	// chasquid, authenticated submission: the greeting alone, no address.
	{"chasquid submission", "from laptop.example.org\n\tby mail.example.org (chasquid) with ESMTPSA\n\ttls TLS_AES_128_GCM_SHA256\n" +
		"\t(over submission+TLS, TLS-1.3, envelope from \"lucia@example.org\")\n\t; Tue, 14 May 2024 14:10:02 +0200",
		want{helo: "laptop.example.org", byHost: "mail.example.org", with: "ESMTPSA", tls: "TLS_AES_128_GCM_SHA256; TLS-1.3",
			auth: "ESMTPSA", env: "lucia@example.org", time: "2024-05-14T14:10:02+02:00", mta: "chasquid", software: "chasquid",
			parsed: ParsedFull}},
	// chasquid in plain text, null reverse-path.
	{"chasquid plain text bounce", "from [198.51.100.26] (relay.example.net)\n\tby mail.example.org (chasquid) with ESMTP\n" +
		"\t(over SMTP, plain text!, envelope from \"\")\n\t; Tue, 14 May 2024 14:30:00 +0200",
		want{helo: "relay.example.net", ip: "198.51.100.26", byHost: "mail.example.org", with: "ESMTP", env: "<>",
			time: "2024-05-14T14:30:00+02:00", mta: "chasquid", software: "chasquid", parsed: ParsedFull, note: "from-name"}},
	// The same shape from another MTA keeps the name as the reverse name.
	{"address then a name", "from [198.51.100.27] (host.example.net) by mx.example.org with ESMTP; Tue, 14 May 2024 14:30:00 +0200",
		want{helo: "[198.51.100.27]", rdns: "host.example.net", ip: "198.51.100.27", byHost: "mx.example.org", with: "ESMTP",
			time: "2024-05-14T14:30:00+02:00", parsed: ParsedFull, note: "from-name"}},
	// Courier-MTA writes its id after the date, the client address
	// v4-mapped, and the session's TLS in a comment of its own or, for an
	// authenticated client, after the AUTH remark.
	{"courier", "from mx.example.net (mx.example.net [::ffff:198.51.100.25])\n  (TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384)\n" +
		"  by mail.example.org with ESMTPS; Tue, 14 May 2024 12:31:02 +0200\n  id 00000000000300A5.000000006643399E.00003F2A",
		want{helo: "mx.example.net", rdns: "mx.example.net", ip: "198.51.100.25", byHost: "mail.example.org", with: "ESMTPS",
			id: "00000000000300A5.000000006643399E.00003F2A", tls: "TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384",
			time: "2024-05-14T12:31:02+02:00", mta: "courier", parsed: ParsedFull, note: "unmapped"}},
	{"courier auth and tls", "from laptop.example.org (c-46.example.net [::ffff:198.51.100.46])\n" +
		"  (AUTH: PLAIN erik, TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384)\n  by mail.example.org with ESMTPSA; Tue, 14 May 2024 12:40:11 +0200\n" +
		"  id 00000000000300A7.00000000664339FB.00004B1C",
		want{helo: "laptop.example.org", rdns: "c-46.example.net", ip: "198.51.100.46", byHost: "mail.example.org", with: "ESMTPSA",
			id: "00000000000300A7.00000000664339FB.00004B1C", tls: "TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384",
			auth: "AUTH: PLAIN erik; ESMTPSA", time: "2024-05-14T12:40:11+02:00", mta: "courier", parsed: ParsedFull, note: "unmapped"}},
	// An id after the date when the clauses had one already stays a note.
	{"second id after the date", "from a.example (a.example [192.0.2.1]) by b.example with SMTP id X1; Mon, 1 Jan 2024 10:00:00 +0000 id X2",
		want{helo: "a.example", rdns: "a.example", ip: "192.0.2.1", byHost: "b.example", with: "SMTP", id: "X1",
			time: "2024-01-01T10:00:00Z", parsed: ParsedFull, note: "second id after the date: X2"}},
	// Axigen writes the cipher as a comment before the protocol.
	{"axigen", "from [192.168.0.14] ([198.51.100.44])\n\tby mail.example.ro (Axigen) with (ECDHE-RSA-AES256-GCM-SHA384 encrypted) ESMTPSA id 2F1A3C;\n\tTue, 14 May 2024 13:05:18 +0300",
		want{helo: "[192.168.0.14]", ip: "198.51.100.44", byHost: "mail.example.ro", with: "ESMTPSA", id: "2F1A3C",
			tls: "ECDHE-RSA-AES256-GCM-SHA384", auth: "ESMTPSA", time: "2024-05-14T13:05:18+03:00", mta: "axigen", software: "Axigen",
			parsed: ParsedFull}},
	// GMX and web.de webmail name the link in a comment after the
	// by-host's internal name and address.
	{"gmx webmail", "from [93.184.215.14] ([93.184.215.14]) by web-mail.web.de\n (3c-app-webde-bap32.server.lan [172.19.172.32]) (via HTTP); Wed, 15 Jan 2025\n 15:40:01 +0100",
		want{helo: "[93.184.215.14]", ip: "93.184.215.14", byHost: "web-mail.web.de", byIP: "172.19.172.32", via: "HTTP",
			time: "2025-01-15T15:40:01+01:00", parsed: ParsedFull}},
	// Software the families table names by its comment or protocol word.
	{"kerio connect", "from [192.168.1.55] ([198.51.100.55])\n\t(authenticated user petr@example.cz)\n\tby mail.example.cz (Kerio Connect 10.0.2 patch 1) with ESMTPSA\n" +
		"\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256)\n\tfor bob@example.de;\n\tTue, 14 May 2024 11:12:44 +0200",
		want{helo: "[192.168.1.55]", ip: "198.51.100.55", byHost: "mail.example.cz", with: "ESMTPSA", rcpt: "bob@example.de",
			tls: "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256", auth: "authenticated user petr@example.cz; ESMTPSA",
			time: "2024-05-14T11:12:44+02:00", mta: "kerio", software: "Kerio Connect 10.0.2 patch 1", parsed: ParsedFull}},
	{"icewarp", "from [192.168.5.21] ([198.51.100.45])\n\tby mail.example.cz (IceWarp 13.0.3.8 x64) with ASMTP (SSL) id 202405141220060912\n" +
		"\tfor <bob@example.de>; Tue, 14 May 2024 12:20:06 +0200",
		want{helo: "[192.168.5.21]", ip: "198.51.100.45", byHost: "mail.example.cz", with: "ASMTP", id: "202405141220060912",
			rcpt: "bob@example.de", tls: "SSL", time: "2024-05-14T12:20:06+02:00", mta: "icewarp", software: "IceWarp 13.0.3.8 x64",
			parsed: ParsedFull}},
	{"hmailserver", "from BERGER-PC01 ([198.51.100.42])\n\tby mail.example.at with hMailServer\n\t; Tue, 14 May 2024 11:30:11 +0200",
		want{helo: "BERGER-PC01", ip: "198.51.100.42", byHost: "mail.example.at", with: "hMailServer",
			time: "2024-05-14T11:30:11+02:00", mta: "hmailserver", parsed: ParsedFull}},
	{"gmx nemesis", "from [192.168.178.23] ([198.51.100.37]) by mail.gmx.net (mrgmx005\n [212.227.17.190]) with ESMTPSA (Nemesis) id 1MWzk3-1tAbCd3xYz-00XyZaBc; Wed, 15\n Jan 2025 14:33:11 +0100",
		want{helo: "[192.168.178.23]", ip: "198.51.100.37", byHost: "mail.gmx.net", byIP: "212.227.17.190", with: "ESMTPSA",
			id: "1MWzk3-1tAbCd3xYz-00XyZaBc", auth: "ESMTPSA", time: "2025-01-15T14:33:11+01:00", mta: "nemesis", software: "Nemesis",
			parsed: ParsedFull}},
	{"yandex", "by mail-nwsmtp-smtp-production-main-45.iva.yp-c.yandex.net (smtp/Yandex) with ESMTPSA id 7EQm3N2OkW20-iCTUGb2O;\n\tFri, 11 Oct 2024 12:14:08 +0300",
		want{byHost: "mail-nwsmtp-smtp-production-main-45.iva.yp-c.yandex.net", with: "ESMTPSA", id: "7EQm3N2OkW20-iCTUGb2O",
			auth: "ESMTPSA", time: "2024-10-11T12:14:08+03:00", mta: "yandex", software: "smtp/Yandex", parsed: ParsedFull}},
	{"qq newesmtp", "from DESKTOP-7Q1RT2K ([198.51.100.206])\n\tby newxmesmtplogicsvrszc16-0.qq.com (NewEsmtp) with SMTP\n\tid 3C4B1A0E; Tue, 03 Dec 2024 17:21:25 +0800",
		want{helo: "DESKTOP-7Q1RT2K", ip: "198.51.100.206", byHost: "newxmesmtplogicsvrszc16-0.qq.com", with: "SMTP", id: "3C4B1A0E",
			time: "2024-12-03T17:21:25+08:00", mta: "tencent", software: "NewEsmtp", parsed: ParsedFull}},
	// A client that said "HELO by".
	{"helo is a keyword", "from by (unknown [198.51.100.3]) by mx.example.com (Postfix) with SMTP id 1A; Mon, 1 Jan 2024 10:00:00 +0000",
		want{helo: "by", ip: "198.51.100.3", byHost: "mx.example.com", with: "SMTP", id: "1A", time: "2024-01-01T10:00:00Z",
			mta: "postfix", software: "Postfix", parsed: ParsedFull}},
	// Date only, with and without the ";".
	{"date only semicolon", "; Tue, 1 Jan 2019 10:00:00 +0000", want{time: "2019-01-01T10:00:00Z", parsed: ParsedPartial}},
	{"date only", "Tue, 1 Jan 2019 10:00:00 +0000", want{time: "2019-01-01T10:00:00Z", parsed: ParsedPartial}},
	// Nothing recognisable.
	{"junk", "apparently", want{parsed: ParsedNone, note: "text before the first clause: apparently"}},
	{"empty", "", want{parsed: ParsedNone}},
	// A date that cannot be read keeps its text.
	{"bad date", "from a.example (a.example [192.0.2.1]) by b.example with SMTP; yesterday at noon",
		want{helo: "a.example", rdns: "a.example", ip: "192.0.2.1", byHost: "b.example", with: "SMTP", parsed: ParsedPartial,
			note: "date not understood"}},
	// Unbalanced parenthesis: the rest is one comment, the date is still found.
	{"unclosed comment", "from a.example (a.example [192.0.2.1] by b.example with SMTP; Mon, 1 Jan 2024 10:00:00 +0000",
		want{helo: "a.example", rdns: "a.example", ip: "192.0.2.1", time: "2024-01-01T10:00:00Z", parsed: ParsedPartial, note: "unclosed comment"}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			h := Parse(tc.in)
			if h.Raw != tc.in {
				t.Errorf("Raw = %q, want the input", h.Raw)
			}
			tc.want.check(t, h)
		})
	}
}

func TestParseDateText(t *testing.T) {
	h := Parse("from a by b with SMTP;\r\n\tMon, 1 Jan 2024 10:00:00 +0000 (UTC)")
	if h.DateText != "Mon, 1 Jan 2024 10:00:00 +0000 (UTC)" {
		t.Errorf("DateText = %q", h.DateText)
	}
	if _, off := h.Time.Zone(); off != 0 {
		t.Errorf("offset = %d", off)
	}
}

// The id of Exchange and the version of Sendmail look like addresses but
// are not written where an address goes.
func TestDottedNumbersAreNotIPs(t *testing.T) {
	for _, in := range []string{
		"from a.example by b.example (8.8.5/8.8.5) with ESMTP id 15.20.1234.5; Mon, 1 Jan 2024 10:00:00 +0000",
		"from a.example by b.example with Microsoft SMTP Server id 15.20.218.12; Mon, 1 Jan 2024 10:00:00 +0000",
		"from a.example by b.example (8.16.0.20/8.16.0.20) with SMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000",
		"from a.example by b.example with neko (version 4.8.3.54) id 1; Mon, 1 Jan 2024 10:00:00 +0000",
	} {
		if h := Parse(in); h.HasIP() {
			t.Errorf("%q: from %q by %q", in, h.From.IP, h.By.IP)
		}
	}
}

// TestParseHELOInjection: a greeting that carries trace text of its own, written as given by the
// receiver, is read as the HELO; the client, receiver and date are the receiver's own. Lines whose
// extra comments come after the client comment are the receiver's and stay as they were.
func TestParseHELOInjection(t *testing.T) {
	for _, tc := range []struct {
		value, helo, ip, by, date string
		injected                  bool
	}{
		{"from x (mail-sor-f41.google.com [209.85.220.41]) by mx.google.com with ESMTPS id a1; Mon, 1 Jan 2024 00:00:00 +0000 (unknown [198.51.100.7])\r\n\tby mx.example.net (Postfix) with ESMTP id 3D9E; Mon, 1 Jan 2024 00:00:05 +0000 (UTC)",
			"x (mail-sor-f41.google.com [209.85.220.41]) by mx.google.com with ESMTPS id a1; Mon, 1 Jan 2024 00:00:00 +0000", "198.51.100.7", "mx.example.net", "2024-01-01T00:00:05Z", true},
		{"from x (mail-sor-f41.google.com [209.85.220.41]) (unknown [198.51.100.7]) by mx.example.net (Postfix) with ESMTP id 3D9E; Mon, 1 Jan 2024 00:00:05 +0000",
			"x (mail-sor-f41.google.com [209.85.220.41])", "198.51.100.7", "mx.example.net", "2024-01-01T00:00:05Z", true},
		{"from x by mx.google.com (unknown [IPv6:2001:db8::7]) by mx.example.net with ESMTP; Mon, 1 Jan 2024 00:00:05 +0000",
			"x by mx.google.com", "2001:db8::7", "mx.example.net", "2024-01-01T00:00:05Z", true},
		{"from mail.example.org (mail.example.org [192.0.2.1])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\t(No client certificate requested)\r\n\tby mx.example.net (Postfix) with ESMTPS id 3D9E; Mon, 1 Jan 2024 00:00:05 +0000",
			"mail.example.org", "192.0.2.1", "mx.example.net", "2024-01-01T00:00:05Z", false},
		{"from unknown (HELO mail.example.org) (192.0.2.1) by mx.example.net with SMTP; 1 Jan 2024 00:00:05 -0000",
			"mail.example.org", "192.0.2.1", "mx.example.net", "2024-01-01T00:00:05Z", false},
		// Yahoo's Hermes and qmail write the greeting apart; its address literal is what the client said.
		{"from p225-ix6.kyoto.ocn.ne.jp (EHLO [192.168.0.12]) ([126.12.34.225])\r\n          by smtp420.mail.sg3.yahoo.com (Oath Hermes SMTP Server) with ESMTPA ID 509d918b63b096cb66546fb3368b15e3\r\n          for <a@example.jp>;\r\n          Mon, 21 May 2018 05:27:46 +0000 (UTC)",
			"[192.168.0.12]", "126.12.34.225", "smtp420.mail.sg3.yahoo.com", "2018-05-21T05:27:46Z", false},
		{"from mail.example.org (ehlo [192.168.0.12]) ([192.0.2.1]) by mx.example.net with ESMTP; 1 Jan 2024 00:00:05 -0000",
			"[192.168.0.12]", "192.0.2.1", "mx.example.net", "2024-01-01T00:00:05Z", false},
	} {
		h := Parse(tc.value)
		got := ""
		if h.Time != nil {
			got = h.Time.UTC().Format(time.RFC3339)
		}
		if h.HELOInjection != tc.injected || h.From.HELO != tc.helo || h.From.IP != tc.ip || h.By.Host != tc.by || got != tc.date {
			t.Errorf("Parse(%q)\n = injected %v, HELO %q, IP %q, by %q, date %s\nwant injected %v, HELO %q, IP %q, by %q, date %s",
				tc.value, h.HELOInjection, h.From.HELO, h.From.IP, h.By.Host, got, tc.injected, tc.helo, tc.ip, tc.by, tc.date)
		}
	}
}

// TestParseWithTwice: Mimecast writes "with ESMTP with STARTTLS": the
// second with goes on with the first, and the line is understood whole.
func TestParseWithTwice(t *testing.T) {
	h := Parse("from mail-wm1-f50.google.com (mail-wm1-f50.google.com [209.85.128.50]) by relay.mimecast.com with ESMTP with STARTTLS (version=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384) id us-mta-441-X-1; Wed, 29 May 2024 08:02:09 -0400")
	if h.Parsed != ParsedFull || h.With != "ESMTP STARTTLS" || h.ID != "us-mta-441-X-1" || !strings.Contains(h.TLS, "TLSv1.3") || len(h.Notes) > 0 {
		t.Errorf("parsed %s, with %q, id %q, tls %q, problems %q", h.Parsed, h.With, h.ID, h.TLS, h.Notes)
	}
}

// TestParseCoremailWebmail: Coremail's webmail line names the logged-in
// user, "@" written "$", where a HELO would stand: it is the ident.
func TestParseCoremailWebmail(t *testing.T) {
	h := Parse("from wangxm$163.com ( [223.104.3.9] ) by ajax-webmail-wmsvr-40-104 (Coremail) ; Wed, 29 May 2024 20:02:06 +0800 (CST)")
	if h.From.HELO != "" || h.From.Ident != "wangxm@163.com" || h.From.IP != "223.104.3.9" || h.MTA != "coremail" {
		t.Errorf("HELO %q, ident %q, IP %q, MTA %q", h.From.HELO, h.From.Ident, h.From.IP, h.MTA)
	}
}

// TestParseIDAComment: Sendmail IDA writes its version and the recipient
// in a comment after the id.
func TestParseIDAComment(t *testing.T) {
	h := Parse("from mcsun.EU.net by hp4nl.nluug.nl with UUCP id AA01234 (5.61++/IDA-1.2.8 for <jan@hp4nl.nluug.nl>); Tue, 3 Mar 1992 10:00:00 +0100")
	if h.For != "jan@hp4nl.nluug.nl" || h.Software != "5.61++/IDA-1.2.8" || len(h.Notes) > 0 {
		t.Errorf("for %q, software %q, notes %q", h.For, h.Software, h.Notes)
	}
	// Another comment after an id is still noted as not understood.
	if h := Parse("from a by b id X (whatever this is); Tue, 3 Mar 1992 10:00:00 +0100"); len(h.Notes) == 0 {
		t.Error("no note for a comment not understood")
	}
}
