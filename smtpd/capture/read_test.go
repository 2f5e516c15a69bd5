package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadMessage: the delivery reads back exactly the stored octets, also once a mail reader has
// moved the message to cur/, and whatever the recorded size says.
func TestReadMessage(t *testing.T) {
	s := startSink(t, Options{}, nil)
	c := dial(t, s.addr)
	body := "Subject: read back\r\n\r\n" + strings.Repeat("line\r\n", 3000)
	c.send("a@client.example", "b@mx.test", body, "250 ")
	d := waitDelivery(t, s)
	stored, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(stored, []byte(body)) || int64(len(stored)) != d.HeaderSize+d.Size {
		t.Fatalf("stored %d octets, delivery says %d+%d", len(stored), d.HeaderSize, d.Size)
	}
	check := func(name string, d Delivery) {
		t.Helper()
		got, err := d.ReadMessage()
		if err != nil || !bytes.Equal(got, stored) {
			t.Errorf("%s: read %d octets (%v), want the %d stored", name, len(got), err, len(stored))
		}
	}
	check("in new/", d)
	wrong := d
	wrong.Size = 10 // a size that lies must not truncate
	check("size too small", wrong)
	wrong.Size = 1 << 20
	check("size too large", wrong)

	cur := filepath.Join(s.md.Dir(), "cur", filepath.Base(d.Path)+":2,S")
	if err := os.Rename(d.Path, cur); err != nil {
		t.Fatal(err)
	}
	check("moved to cur/", d)
	os.Remove(cur)
	if _, err := d.ReadMessage(); !os.IsNotExist(err) {
		t.Errorf("deleted message: err %v, want not-exist", err)
	}
}
