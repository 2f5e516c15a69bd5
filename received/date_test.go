package received

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	cases := []struct {
		in, want string // want in RFC 3339 with the written offset; "" = not a date
		info     dateInfo
	}{
		// RFC 5322 §3.3.
		{"Mon, 1 Jan 2024 10:00:00 +0000", "2024-01-01T10:00:00Z", dateInfo{}},
		{"Thu, 29 Apr 2010 23:34:45 +0900 (JST)", "2010-04-29T23:34:45+09:00", dateInfo{}},
		// No weekday; extra spaces (Postfix pads the day).
		{"  1 Jan 2024   10:00:00   -0500", "2024-01-01T10:00:00-05:00", dateInfo{}},
		{"Mon,  9 Feb 2009 12:31:43 -0500 (EST)", "2009-02-09T12:31:43-05:00", dateInfo{}},
		// No blank after the comma (sisimai samples).
		{"Thu,29 Apr 2010 23:34:45 +0000", "2010-04-29T23:34:45Z", dateInfo{}},
		// Obsolete 2- and 3-digit years, RFC 5322 §4.3.
		{"Thu, 21 Nov 96 12:11:51 PST", "1996-11-21T12:11:51-08:00", dateInfo{}},
		{"Thu, 21 Nov 24 12:11:51 GMT", "2024-11-21T12:11:51Z", dateInfo{}},
		{"Thu, 21 Nov 102 12:11:51 GMT", "2002-11-21T12:11:51Z", dateInfo{}},
		// Named zones and zone comments.
		{"Fri, 20 May 2005 05:26:12 PDT", "2005-05-20T05:26:12-07:00", dateInfo{}},
		{"Sun, 8 May 2005 19:09:13 UT", "2005-05-08T19:09:13Z", dateInfo{}},
		{"Mon, 1 Jan 2024 10:00:00 EST", "2024-01-01T10:00:00-05:00", dateInfo{}},
		{"Mon, 1 Jan 2024 10:00:00 CEST", "2024-01-01T10:00:00+02:00", dateInfo{}},
		{"Mon, 1 Jan 2024 10:00:00 GMT+0100", "2024-01-01T10:00:00+01:00", dateInfo{}},
		{"Mon, 1 Jan 2024 10:00:00 (PST)", "2024-01-01T10:00:00-08:00", dateInfo{}},
		{"Fri, 13 Dec 1996 15:01:48 Pacific Standard Time", "1996-12-13T15:01:48-08:00", dateInfo{}},
		{"Mon, 1 Jan 2024 10:00:00 +05:30", "2024-01-01T10:00:00+05:30", dateInfo{}},
		// Missing seconds (mox), blanks after the colons, fractions.
		{"03 Feb 2023 06:09 +0100", "2023-02-03T06:09:00+01:00", dateInfo{}},
		{"Mon,  9 Feb 2009 12: 31: 43 -0500 (EST)", "2009-02-09T12:31:43-05:00", dateInfo{}},
		{"Thu, 08 Aug 2019 13:45:34.249 +0000 (UTC)", "2019-08-08T13:45:34.249Z", dateInfo{}},
		// Go's time.Time.String (SendGrid).
		{"2024-01-02 03:04:05.123 +0000 UTC m=+1.23", "2024-01-02T03:04:05.123Z", dateInfo{goStyle: true}},
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", dateInfo{goStyle: true}},
		// asctime order and dashes.
		{"Thu Apr 29 23:34:45 2010 +0000", "2010-04-29T23:34:45Z", dateInfo{}},
		{"29-Apr-2010 23:34:45 +0000", "2010-04-29T23:34:45Z", dateInfo{}},
		// date(1): the zone before the year.
		{"Mon Jan  1 10:00:00 EST 2024", "2024-01-01T10:00:00-05:00", dateInfo{}},
		{"Mon Jan  1 10:00:00 +0100 2024", "2024-01-01T10:00:00+01:00", dateInfo{}},
		// Full month and weekday names.
		{"Wednesday, 13 September 2023 09:00:00 +0000", "2023-09-13T09:00:00Z", dateInfo{}},
		// What is noted.
		{"Wed, 19 Jun 2002 20:50:49", "2002-06-19T20:50:49Z", dateInfo{noZone: true}},
		{"Mon, 19 Jun 2002 20:50:49 +0000", "2002-06-19T20:50:49Z", dateInfo{badWday: true}},
		{"Sat, 11 Dec 2010 12:19:59 +0900 id 0EFECD52", "2010-12-11T12:19:59+09:00", dateInfo{trailing: true}},
		{"Sun, 20 Feb 2000 22:07:32 +0900 (JST) (envelope-from a@example.org)", "2000-02-20T22:07:32+09:00", dateInfo{}},
		{"Sun, 20 Feb 2000 22:07:32 +0900 (envelope-from a@example.org) junk", "2000-02-20T22:07:32+09:00", dateInfo{trailing: true}},
		{"Mon, 1 Jan 2024 10:00:00 IST", "2024-01-01T10:00:00Z", dateInfo{noZone: true, trailing: true}},
		// Not dates.
		{"", "", dateInfo{}},
		{"yesterday", "", dateInfo{}},
		{"31 Feb 2024 10:00:00 +0000", "", dateInfo{}},
		{"1 Jan 2024", "", dateInfo{}},
		{"1 Jan 2024 25:00:00 +0000", "", dateInfo{}},
		{"15.20.1234.5", "", dateInfo{}},
		{"Mon, 1 Foo 2024 10:00:00 +0000", "", dateInfo{}},
		{"123456789012 Jan 2024 10:00:00", "", dateInfo{}},
		{"Mon, 1 Jan 0024 10:00:00 +0000", "", dateInfo{}}, // RFC 5322 §3.3: 1900 or later
	}
	for _, tc := range cases {
		got, _, info, ok := parseDate(tc.in)
		text := ""
		if ok {
			text = got.Format(time.RFC3339Nano)
		}
		if text != tc.want || ok && info != tc.info {
			t.Errorf("parseDate(%q) = %q %+v, want %q %+v", tc.in, text, info, tc.want, tc.info)
		}
	}
}

func TestParseDateKeepsOffset(t *testing.T) {
	got, _, _, ok := parseDate("Fri, 3 Mar 2023 02:27:40 -0800 (PST)")
	if !ok {
		t.Fatal("not parsed")
	}
	if _, off := got.Zone(); off != -8*3600 {
		t.Errorf("offset %d, want -8h", off)
	}
	got, _, _, _ = parseDate("Mon, 1 Jan 2024 10:00:00 +0545")
	if _, off := got.Zone(); off != 5*3600+45*60 {
		t.Errorf("offset %d, want +05:45", off)
	}
	// No zone is a day or more from UTC: such an offset is no offset (and
	// a time that kept it could not be written as JSON).
	for _, in := range []string{"Mon, 1 Jan 2024 10:00:00 +2400", "Mon, 1 Jan 2024 10:00:00 -9959"} {
		got, _, info, ok := parseDate(in)
		if _, off := got.Zone(); ok && (off != 0 || !info.noZone) {
			t.Errorf("parseDate(%q): offset %d, noZone %v", in, off, info.noZone)
		}
		if _, err := got.MarshalJSON(); err != nil {
			t.Errorf("parseDate(%q): %v", in, err)
		}
	}
}

func TestFindDate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"from a by b id 1 Fri, 28 Nov 2014 18:00:14 +0100", "Fri, 28 Nov 2014 18:00:14 +0100"},
		{"by x with SMTP id y 2020-08-20 10:08:27.1 +0000 UTC m=+1.2", "2020-08-20 10:08:27.1 +0000 UTC m=+1.2"},
		{"from a (built Aug  1 2017) by b", ""},
	}
	for _, tc := range cases {
		start, n, _, _, ok := findDate(tc.in)
		got := ""
		if ok {
			got = tc.in[start : start+n]
		}
		if got != tc.want {
			t.Errorf("findDate(%q) at %q, want %q", tc.in, got, tc.want)
		}
	}
}
