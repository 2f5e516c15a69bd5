package analyze

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// bigKinds are the shapes of very large message that bigMessage writes,
// one for each place a message can be large: a header line, a body of
// text, an attachment, a long trace and a folded field.
var bigKinds = []string{"header-line", "text-body", "base64-attachment", "received-fields", "folded-field",
	"delivered-to-fields", "to-addresses", "subject-fields", "dkim-signatures", "originating-ip-fields", "mime-parts"}

// floodLines are the kinds that repeat one short line until the message
// is large: a flood of the fields (or parts) that rules compare with one
// another, which must not take time or report space growing faster than
// the message.
var floodLines = map[string]func(i int) string{
	"delivered-to-fields": func(i int) string { return fmt.Sprintf("Delivered-To: u%d@d%d.example.net\r\n", i, i) },
	"to-addresses":        func(i int) string { return fmt.Sprintf(" u%d@d%d.example.net,\r\n", i, i%1000) },
	"subject-fields":      func(i int) string { return fmt.Sprintf("Subject: s%d\r\n", i) },
	"dkim-signatures": func(i int) string {
		return fmt.Sprintf("DKIM-Signature: v=1; a=rsa-sha256; d=ex%d.org; s=s; h=from; bh=AAAA; b=BBBB\r\n", i)
	},
	"originating-ip-fields": func(i int) string { return fmt.Sprintf("X-Originating-IP: [10.%d.%d.1]\r\n", i%256, i/256%256) },
}

// bigHeader is the header every big message starts with: a DKIM signature
// among the fields, so that its body hash is computed offline too.
const bigHeader = "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n" +
	"\tby mx.example.net (Postfix) with ESMTPS id 4AbCdE1234\r\n" +
	"\tfor <bob@example.net>; Mon, 3 Mar 2025 10:00:05 +0000 (UTC)\r\n" +
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel;\r\n" +
	"\th=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n" +
	"\tb=AAAA\r\n" +
	"From: Alice <alice@example.org>\r\n" +
	"To: Bob <bob@example.net>\r\n" +
	"Date: Mon, 3 Mar 2025 10:00:00 +0000\r\n" +
	"Message-ID: <big.1@mail.example.org>\r\n"

// bigMessage returns a message of about size bytes of the given kind.
func bigMessage(kind string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString(bigHeader)
	switch kind {
	case "header-line": // one Subject line of size bytes
		b.WriteString("Subject: ")
		fill(&b, size, "")
		b.WriteString("\r\n\r\nHello.\r\n")
	case "text-body": // a MIME text part of size bytes
		b.WriteString("Subject: text\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
		fill(&b, size, "\r\n")
	case "base64-attachment":
		writeAttachment(&b, size)
	case "received-fields": // 100,000 Received fields for 50 MiB, a quarter of it
		b.WriteString("Subject: trace\r\n")
		for i := range size / 524 {
			fmt.Fprintf(&b, "Received: from h%d.example.org (h%d.example.org [192.0.2.%d]) by relay.example.org; Mon, 3 Mar 2025 09:59:00 +0000\r\n",
				i, i, i%250+1)
		}
		b.WriteString("\r\nHello.\r\n")
	case "folded-field": // a References field of size bytes, one message-id a line
		b.WriteString("Subject: folded\r\nReferences:")
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, "\r\n\t<%08d.ref@mail.example.org>", i)
		}
		b.WriteString("\r\n\r\nHello.\r\n")
	case "to-addresses": // one Cc field of many addresses
		b.WriteString("Subject: flood\r\nCc: first@example.net,\r\n")
		for i := 0; b.Len() < size; i++ {
			b.WriteString(floodLines[kind](i))
		}
		b.WriteString(" last@example.net\r\n\r\nHello.\r\n")
	case "mime-parts": // a multipart of many small text parts
		b.WriteString("Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, "--b1\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
		}
		b.WriteString("--b1--\r\n")
	default:
		line, ok := floodLines[kind]
		if !ok {
			panic("bigMessage: unknown kind " + kind)
		}
		if kind != "subject-fields" {
			b.WriteString("Subject: flood\r\n")
		}
		for i := 0; b.Len() < size; i++ {
			b.WriteString(line(i))
		}
		b.WriteString("\r\nHello.\r\n")
	}
	return b.Bytes()
}

// fill writes size bytes of words, with eol after every 70 bytes when it
// is not empty.
func fill(b *bytes.Buffer, size int, eol string) {
	const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
	for n := 0; n < size; n += len(words) {
		b.WriteString(words)
		b.WriteString(eol)
	}
}

// writeAttachment writes a multipart message whose second part is size
// bytes of base64, in lines of 76.
func writeAttachment(b *bytes.Buffer, size int) {
	b.WriteString("Subject: attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n" +
		"Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	chunk := make([]byte, 57) // 76 characters of base64
	line := make([]byte, 76)
	for i := 0; i < size/78; i++ {
		for j := range chunk {
			chunk[j] = byte(i*31 + j*7)
		}
		base64.StdEncoding.Encode(line, chunk)
		b.Write(line)
		b.WriteString("\r\n")
	}
	b.WriteString("--b1--\r\n")
}

// TestWriteBigMessages writes the big messages to $MAILTRACE_BIGMSG_DIR,
// for bench/bigmem.sh to measure the command's peak memory on, and for
// scripts/report-identity.sh to compare reports on; without it the test is
// skipped. $MAILTRACE_BIGMSG_MB sets their size (default 50).
func TestWriteBigMessages(t *testing.T) {
	dir := os.Getenv("MAILTRACE_BIGMSG_DIR")
	if dir == "" {
		t.Skip("MAILTRACE_BIGMSG_DIR not set")
	}
	mb := 50
	if s := os.Getenv("MAILTRACE_BIGMSG_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("MAILTRACE_BIGMSG_MB=%q: want a number of MiB", s)
		}
		mb = n
	}
	for _, kind := range bigKinds {
		if err := os.WriteFile(filepath.Join(dir, kind+".eml"), bigMessage(kind, mb<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
