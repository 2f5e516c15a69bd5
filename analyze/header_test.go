package analyze

import (
	"reflect"
	"testing"
)

// TestAddressListComments: comments are CFWS (RFC 5322 §3.2.2, §3.4.1),
// no part of an address wherever they stand; a "(" in a quoted local part
// is text. The rules read the header summary's addresses.
func TestAddressListComments(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Address
	}{
		// The forgery that hid a DMARC failure.
		{"inside angle-addr", "PayPal <service@paypal.com(alerts@mailer-eu7.net)>", []Address{{"PayPal", "service@paypal.com"}}},
		{"around every token", "PayPal <(c)service(c)@(c)paypal.com(c)>", []Address{{"PayPal", "service@paypal.com"}}},
		{"before addr-spec", "(alerts@mailer-eu7.net) service@paypal.com", []Address{{"", "service@paypal.com"}}},
		// net/mail reads a comment after a bare address as the name.
		{"after addr-spec", "service@paypal.com (alerts@mailer-eu7.net)", []Address{{"alerts@mailer-eu7.net", "service@paypal.com"}}},
		{"before domain", "service@(mailer-eu7.net)paypal.com", []Address{{"", "service@paypal.com"}}},
		{"white space before >", "PayPal <service@paypal.com (x) >", []Address{{"PayPal", "service@paypal.com"}}},
		{"nested", "PayPal <service@paypal.com(a (b) alerts@mailer-eu7.net)>", []Address{{"PayPal", "service@paypal.com"}}},
		{"quoted-pair", `PayPal <service@paypal.com(a\) alerts@mailer-eu7.net)>`, []Address{{"PayPal", "service@paypal.com"}}},
		{"comma in a comment", "A <a@paypal.com(x, <b@mailer-eu7.net>)>, C <c@example.org>",
			[]Address{{"A", "a@paypal.com"}, {"C", "c@example.org"}}},
		{"paren in quoted local part", `"a(b"@paypal.com`, []Address{{"", "a(b@paypal.com"}}},
		// An unclosed "(" runs to the end: the address before it is read.
		{"unbalanced inside angle-addr", "PayPal <service@paypal.com(alerts@mailer-eu7.net>", []Address{{"PayPal", "service@paypal.com"}}},
		// A "(" never closed before the address: the address as written.
		{"unbalanced before", "Pay(Pal <service@paypal.com>", []Address{{"Pay(Pal", "service@paypal.com"}}},
		{"unclosed quote", `"PayPal <service@paypal.com(alerts@mailer-eu7.net)>`, []Address{{"PayPal", "service@paypal.com"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := addressList(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("addressList(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestAngleAddrComments: Return-Path is a header field; CFWS around and
// inside its address holds no part of it (RFC 5322 §3.6.7, §3.2.2).
func TestAngleAddrComments(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "<bounce@mailer-eu7.net>", "bounce@mailer-eu7.net"},
		{"comment before", "(<x@paypal.com>) <bounce@mailer-eu7.net>", "bounce@mailer-eu7.net"},
		{"comment inside", "<bounce@mailer-eu7.net(x@paypal.com)>", "bounce@mailer-eu7.net"},
		{"null path", "<>", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := angleAddr(tc.in); got != tc.want {
				t.Errorf("angleAddr(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
