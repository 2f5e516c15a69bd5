package analyze

import (
	"bytes"
	"fmt"

	"github.com/jhillyerd/enmime/v2"
)

// summarizeBody decodes the MIME structure with enmime. A MIME failure is
// recorded in the summary; it never stops header analysis, which has
// already run on the raw fields.
func summarizeBody(raw []byte) (b *BodySummary) {
	b = &BodySummary{Size: len(raw), Attachments: []Attachment{}}
	defer func() {
		// enmime is third-party code fed hostile input: a panic there must
		// not cost the header analysis already done.
		if r := recover(); r != nil {
			b.Errors = append(b.Errors, fmt.Sprintf("MIME parser failed: %v", r))
		}
	}()
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		b.Errors = append(b.Errors, fmt.Sprintf("MIME parse: %v", err))
		return b
	}
	b.TextSize, b.HTMLSize, b.Inlines = len(env.Text), len(env.HTML), len(env.Inlines)
	for _, p := range env.Attachments {
		b.Attachments = append(b.Attachments, Attachment{Name: p.FileName, ContentType: p.ContentType, Size: len(p.Content)})
	}
	for _, e := range env.Errors {
		b.Errors = append(b.Errors, e.Error())
	}
	return b
}
