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

// TestReadMessageKept: with Options.KeepBytes, a message that fits the write buffer is handed over in
// memory once (the file is not read: it may be gone already), larger ones and those past the budget
// are read from the file, and a taken copy returns its bytes to the budget.
func TestReadMessageKept(t *testing.T) {
	small := "Subject: kept\r\n\r\n" + strings.Repeat("line\r\n", 100)
	large := "Subject: too large\r\n\r\n" + strings.Repeat("line\r\n", spoolSize/6+1)
	for _, tc := range []struct {
		name   string
		budget int64
		body   string
		kept   bool
	}{
		{"small message", 1 << 20, small, true},
		{"larger than the buffer", 1 << 20, large, false},
		{"past the budget", 100, small, false},
		{"no budget", 0, small, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSink(t, Options{KeepBytes: tc.budget}, nil)
			c := dial(t, s.addr)
			c.send("a@client.example", "b@mx.test", tc.body, "250 ")
			d := waitDelivery(t, s)
			stored, err := os.ReadFile(d.Path)
			if err != nil || !bytes.HasSuffix(stored, []byte(tc.body)) {
				t.Fatalf("stored %d octets (%v)", len(stored), err)
			}
			if (d.kept != nil) != tc.kept {
				t.Fatalf("kept in memory: %v, want %v", d.kept != nil, tc.kept)
			}
			if !tc.kept {
				if got, err := d.ReadMessage(); err != nil || !bytes.Equal(got, stored) {
					t.Errorf("read %d octets (%v), want the %d stored", len(got), err, len(stored))
				}
				return
			}
			if held := s.md.kept.Load(); held != int64(len(stored)) {
				t.Errorf("budget holds %d, want %d", held, len(stored))
			}
			os.Remove(d.Path) // the copy is read from memory
			if got, err := d.ReadMessage(); err != nil || !bytes.Equal(got, stored) {
				t.Errorf("kept copy: %d octets (%v), want the %d stored", len(got), err, len(stored))
			}
			if held := s.md.kept.Load(); held != 0 {
				t.Errorf("budget still holds %d after the read", held)
			}
			if _, err := d.ReadMessage(); !os.IsNotExist(err) {
				t.Errorf("second read: %v, want the file's not-exist (the copy is handed over once)", err)
			}
		})
	}
}

// TestSpool: whatever the sizes of the writes, the file gets the octets in order, and the spool says
// whether it still holds all of them.
func TestSpool(t *testing.T) {
	for _, sizes := range [][]int{{10, 20}, {spoolSize}, {spoolSize - 1, 1}, {spoolSize - 1, 2}, {5, spoolSize + 7, 3}, {spoolSize / 2, spoolSize / 2, spoolSize / 2}} {
		path := filepath.Join(t.TempDir(), "m")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		sp := newSpool(f)
		var want []byte
		for i, n := range sizes {
			p := bytes.Repeat([]byte{byte('a' + i)}, n)
			if k, err := sp.Write(p); k != n || err != nil {
				t.Fatalf("%v: write %d: %d, %v", sizes, n, k, err)
			}
			want = append(want, p...)
		}
		fits := len(want) <= spoolSize
		if whole := sp.whole(); fits != (whole != nil) || fits && !bytes.Equal(whole, want) {
			t.Errorf("%v: whole() holds %d octets, want all %d: %v", sizes, len(whole), len(want), fits)
		}
		if err := sp.flush(); err != nil {
			t.Fatal(err)
		}
		sp.release()
		f.Close()
		if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
			t.Errorf("%v: file holds %d octets, want %d in order", sizes, len(got), len(want))
		}
	}
}
