package smtpd

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line, verb, arg string
		err             error
	}{
		{"EHLO client.example", "EHLO", "client.example", nil},
		{"ehlo  client.example", "EHLO", "client.example", nil}, // several spaces tolerated
		{"NOOP", "NOOP", "", nil},
		{"QUIT ", "QUIT", "", nil},
		{"MAIL FROM:<a@b.example> SIZE=10", "MAIL", "FROM:<a@b.example> SIZE=10", nil},
		{"", "", "", errEmptyLine},
		{"   ", "", "", errEmptyLine},
		{"12AB x", "12AB", "x", errBadVerb},
		{"NO-OP", "NO-OP", "", errBadVerb},
		{"NOOP\rMAIL FROM:<a@b>", "NOOP\rMAIL", "FROM:<a@b>", errCtlChar}, // bare CR: RFC 5321 §2.3.8
		{"HELO a\x00b", "HELO", "a\x00b", errCtlChar},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.line), func(t *testing.T) {
			cmd, err := parseCommand([]byte(tt.line))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err == nil && (cmd.Verb != tt.verb || cmd.Arg != tt.arg) {
				t.Errorf("got %q %q, want %q %q", cmd.Verb, cmd.Arg, tt.verb, tt.arg)
			}
		})
	}
}

// TestParsePathArg follows RFC 5321 §4.1.2 (Path, Mailbox, esmtp-param) and the leniencies documented
// on parsePathArg.
func TestParsePathArg(t *testing.T) {
	tests := []struct {
		arg, kw, mailbox string
		params           int
		lenient          bool
		nonASCII         bool
		err              error
	}{
		{"FROM:<a@b.example>", "FROM:", "a@b.example", 0, false, false, nil},
		{"from:<>", "FROM:", "", 0, false, false, nil},
		{"FROM:<a@b.example> SIZE=1 BODY=8BITMIME", "FROM:", "a@b.example", 2, false, false, nil},
		{"FROM: <a@b.example>", "FROM:", "a@b.example", 0, true, false, nil},
		{"FROM:a@b.example SIZE=1", "FROM:", "a@b.example", 1, true, false, nil},
		{`FROM:<"a>b"@b.example>`, "FROM:", `"a>b"@b.example`, 0, false, false, nil},
		{`FROM:<"a\"b"@b.example>`, "FROM:", `"a\"b"@b.example`, 0, false, false, nil},
		{"TO:<@r1.example,@r2.example:u@d.example>", "TO:", "u@d.example", 0, false, false, nil},
		{"TO:<Postmaster>", "TO:", "Postmaster", 0, false, false, nil},
		{"TO:<u@[192.0.2.1]>", "TO:", "u@[192.0.2.1]", 0, false, false, nil},
		{"TO:<u@[IPv6:2001:db8::1]>", "TO:", "u@[IPv6:2001:db8::1]", 0, false, false, nil},
		{"TO:<ü@d.example>", "TO:", "ü@d.example", 0, false, true, nil},
		{"TO:<u@[300.1.1.1]>", "TO:", "", 0, false, false, errBadMailbox},
		{"TO:<u@d..example>", "TO:", "", 0, false, false, errBadMailbox},
		{"TO:<.u@d.example>", "TO:", "", 0, false, false, errBadMailbox},
		{"TO:<u@d.example", "TO:", "", 0, false, false, errBadPath},
		{"TO:<u@d.example>x", "TO:", "", 0, false, false, errBadPath},
		{"TO:<@r1.example:>", "TO:", "", 0, false, false, errBadPath},
		{"FROM:<a@b.example>", "TO:", "", 0, false, false, errNoKeyword},
		{"FROM:<a@b.example> =x", "FROM:", "", 0, false, false, errBadParam},
		{"FROM:<a@b.example> A=1 a=2", "FROM:", "", 0, false, false, errDupParam},
		{"FROM:<\xff@b.example>", "FROM:", "", 0, false, false, errBadMailbox},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			pa, err := parsePathArg(tt.arg, tt.kw)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if pa.Mailbox != tt.mailbox || len(pa.Params) != tt.params || (pa.Lenient != "") != tt.lenient || pa.NonASCII != tt.nonASCII {
				t.Errorf("got %+v", pa)
			}
		})
	}
}

func TestXtextAndNotify(t *testing.T) {
	for s, want := range map[string]bool{"": true, "abc": true, "a+2Bb": true, "a+2bb": false, "a+2": false, "a=b": false, "a b": false} {
		if validXtext(s) != want {
			t.Errorf("validXtext(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"NEVER": true, "success,failure": true, "DELAY": true, "NEVER,DELAY": false, "SUCCESS,SUCCESS": false, "": false} {
		if _, ok := parseNotify(s); ok != want {
			t.Errorf("parseNotify(%q) ok = %v", s, ok)
		}
	}
}

func TestParseBdatArg(t *testing.T) {
	tests := []struct {
		arg      string
		size     int64
		last, ok bool
	}{
		{"0 LAST", 0, true, true}, {"100", 100, false, true}, {"5 last", 5, true, true},
		{"", 0, false, false}, {"-1", 0, false, false}, {"x", 0, false, false}, {"1 FIRST", 0, false, false},
		{"1 LAST x", 0, false, false}, {"9999999999999999999", 0, false, false},
	}
	for _, tt := range tests {
		size, last, ok := parseBdatArg(tt.arg)
		if ok != tt.ok || (ok && (size != tt.size || last != tt.last)) {
			t.Errorf("parseBdatArg(%q) = %d %v %v", tt.arg, size, last, ok)
		}
	}
}

// TestCheckHelo: the HELO forensics of RFC 5321 §4.1.1.1 and §4.1.3.
func TestCheckHelo(t *testing.T) {
	client, local := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("198.51.100.1")
	tests := []struct {
		arg   string
		codes string
	}{
		{"mail.client.example", ""},
		{"[192.0.2.7]", ""},
		{"[IPv6:::ffff:192.0.2.7]", ""},
		{"mx.test", AnomalyHeloOurName},
		{"MX.TEST", AnomalyHeloOurName},
		{"[198.51.100.1]", AnomalyHeloOurIP},
		{"198.51.100.1", AnomalyHeloBareIP + " " + AnomalyHeloOurIP},
		{"192.0.2.7", AnomalyHeloBareIP},
		{"[203.0.113.9]", AnomalyHeloLiteralMismatch},
		// Behind NAT a client knows only its own address.
		{"[172.17.0.2]", AnomalyHeloLiteralPrivate},
		{"[192.168.1.20]", AnomalyHeloLiteralPrivate},
		{"[100.72.1.9]", AnomalyHeloLiteralPrivate},
		{"[IPv6:fd00::5]", AnomalyHeloLiteralPrivate},
		{"[127.0.0.1]", AnomalyHeloLiteralMismatch},
		{"[x-tag:stuff]", AnomalyHeloLiteralMismatch},
		{"[1.2.3]", AnomalyHeloSyntax},
		{"localhost", AnomalyHeloNotFQDN},
		{"under_score.example", ""},
		{"bad!name.example", AnomalyHeloSyntax},
		{"two words.example", AnomalyHeloSyntax + " " + AnomalyHeloNotFQDN},
		{"bücher.example", AnomalyHeloSyntax},
		// A public client without a name yet gets the benefit of the doubt.
		{"mail-yw1-f170.google.com", ""},
	}
	// A client on this host greets with its name, which is ours.
	for _, c := range []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), local} {
		if fs := checkHelo("mx.test", c, local, "mx.test", ""); len(fs) != 0 {
			t.Errorf("checkHelo(mx.test) from %s on this host = %v, want nothing", c, fs)
		}
	}
	for _, tt := range tests {
		var codes []string
		for _, f := range checkHelo(tt.arg, client, local, "mx.test", "") {
			codes = append(codes, f.Code)
		}
		if got := strings.Join(codes, " "); got != tt.codes {
			t.Errorf("checkHelo(%q) = %q, want %q", tt.arg, got, tt.codes)
		}
	}
}

// TestHeloProvider: a big provider's name in a HELO is flagged from a
// loopback or private client, or from a client named elsewhere.
func TestHeloProvider(t *testing.T) {
	local := netip.MustParseAddr("127.0.0.1")
	for _, tc := range []struct {
		helo, client, name string
		want               bool
	}{
		{"mail-yw1-f170.google.com", "127.0.0.1", "", true},
		{"gmail.com", "10.1.2.3", "", true},
		{"mail-db8eur05on2100.outbound.protection.outlook.com", "127.0.0.1", "", true},
		{"mail-yw1-f170.google.com", "209.85.128.170", "mail-yw1-f170.google.com", false},
		{"mail-yw1-f170.google.com", "209.85.128.170", "dsl-1.example-isp.net", true},
		{"mail.example.org", "127.0.0.1", "", false},
		{"google.com.evil.example", "127.0.0.1", "", false},
	} {
		var got bool
		for _, f := range checkHelo(tc.helo, netip.MustParseAddr(tc.client), local, "mx.test", tc.name) {
			got = got || f.Code == AnomalyHeloProvider
		}
		if got != tc.want {
			t.Errorf("HELO %s from %s (%q): flagged %v, want %v", tc.helo, tc.client, tc.name, got, tc.want)
		}
	}
}

func TestReplyFormat(t *testing.T) {
	tests := []struct {
		r    Reply
		want string
	}{
		{reply(CodeOK, esOK, "Ok"), "250 2.0.0 Ok\r\n"},
		{Reply{Code: CodeOK, Lines: []string{"mx.test", "PIPELINING"}}, "250-mx.test\r\n250 PIPELINING\r\n"},
		{reply(CodeHelp, esOK, "a", "b", "c"), "214-2.0.0 a\r\n214-2.0.0 b\r\n214 2.0.0 c\r\n"},
		{Reply{Code: CodeAuthContinue}, "334 \r\n"},
	}
	for _, tt := range tests {
		if got := tt.r.Format(); got != tt.want {
			t.Errorf("Format() = %q, want %q", got, tt.want)
		}
	}
}

// FuzzParseCommand feeds command lines to every parser of the command layer. Beyond never panicking,
// an accepted MAIL/RCPT argument must survive being written back out: "<mailbox> params" parses to the
// same mailbox and parameters.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME", "RCPT TO:<@r.example:u@[IPv6:::1]> NOTIFY=NEVER",
		`MAIL FROM:<"q\"x"@b.example>`, "EHLO [192.0.2.1]", "BDAT 10 LAST", "rcpt to: u@d.example", "AUTH PLAIN =",
	} {
		f.Add([]byte(s))
	}
	local := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, err := parseCommand(line)
		if err != nil {
			return
		}
		if strings.ToUpper(cmd.Verb) != cmd.Verb || strings.ContainsAny(cmd.Arg, "\r\n\x00") {
			t.Fatalf("bad command %+v", cmd)
		}
		checkHelo(cmd.Arg, local, local, "mx.test", "")
		parseBdatArg(cmd.Arg)
		parseNotify(cmd.Arg)
		for _, kw := range []string{"FROM:", "TO:"} {
			pa, err := parsePathArg(cmd.Arg, kw)
			if err != nil {
				continue
			}
			var b strings.Builder
			b.WriteString(kw + "<" + pa.Mailbox + ">")
			for _, p := range pa.Params {
				b.WriteString(" " + p.Key)
				if p.HasValue {
					b.WriteString("=" + p.Value)
				}
			}
			again, err := parsePathArg(b.String(), kw)
			if err != nil || again.Mailbox != pa.Mailbox || fmt.Sprint(again.Params) != fmt.Sprint(pa.Params) {
				t.Fatalf("%q parsed to %+v, but %q parses to %+v, %v", cmd.Arg, pa, b.String(), again, err)
			}
		}
	})
}
