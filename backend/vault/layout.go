package vault

import (
	"context"
	"fmt"
	"os"

	"github.com/hoardvault/hoard/backend/extract"
)

// PageLayout places the words of one page of a PDF document, with the page's
// printed label where the file declares labels, so the viewer can lay
// selectable text over the drawn page and mark the cited passage.
func (v *Vault) PageLayout(ctx context.Context, id int64, page int) (extract.PageLayout, error) {
	p, d, err := v.pdfFile(ctx, id)
	if err != nil {
		return extract.PageLayout{}, err
	}
	if page < 1 || (d.Pages > 0 && page > d.Pages) {
		return extract.PageLayout{}, fmt.Errorf("page %d of %d: %w", page, d.Pages, extract.ErrNoPage)
	}
	l, err := extract.Layout(ctx, p, page)
	if err != nil {
		return extract.PageLayout{}, err
	}
	// Labels are a nicety: a file whose catalog cannot be read still shows
	// its words.
	if f, err := os.Open(p); err == nil {
		defer f.Close()
		if labels, err := extract.PageLabels(f, max(d.Pages, page)); err == nil && page <= len(labels) {
			l.Label = labels[page-1]
		} else if err != nil {
			v.log.Debug("page labels", "doc", id, "err", err)
		}
	}
	return l, nil
}
