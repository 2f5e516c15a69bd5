package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumFlags are scripts/html-screenshot.sh's: headless, no network
// beyond the file:// page, a throwaway profile.
func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + profile}
}

// TestHTMLInChromium renders the report of the example and hostile
// messages in headless Chromium, as scripts/html-screenshot.sh does: the
// timeline must be in the rendered DOM, no script element may be, and the
// screenshot must be a real picture, not an empty page.
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if browser, err = exec.LookPath("chromium-browser"); err != nil {
			t.Skip("chromium is not installed (scripts/html-screenshot.sh installs it)")
		}
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	rep := analyzeFiles(t, "testdata/examples/*.eml", "testdata/hostile/*.eml")
	var buf bytes.Buffer
	if err := HTML(&buf, rep, testOptions()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	dom := runChromium(t, browser, filepath.Join(dir, "p1"), "--dump-dom", url)
	if !strings.Contains(dom, `class="timeline"`) {
		t.Errorf("no timeline in the rendered DOM")
	}
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Errorf("a script element is in the rendered DOM")
	}
	shot := filepath.Join(dir, "shot.png")
	runChromium(t, browser, filepath.Join(dir, "p2"), "--screenshot="+shot, "--window-size=1280,1600", url)
	checkScreenshot(t, shot)
}

func runChromium(t *testing.T, browser, profile string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, append(chromiumFlags(profile), args...)...)
	cmd.Dir = filepath.Dir(profile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

// checkScreenshot wants a 1280×1600 PNG with the many colours of a drawn
// report: an unpainted page is one flat colour.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot is %dx%d, want 1280x1600", b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot has %d colours: the page did not render", len(colours))
	}
}
