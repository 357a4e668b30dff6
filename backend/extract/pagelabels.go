package extract

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// PageLabels reads the printed page labels a PDF declares (its catalog's
// /PageLabels number tree: front matter "i, ii", appendices "A-1"), one per
// page from page 1; nil when the file declares none. Labels are what a
// reader sees printed on the page, where they differ from the page's index.
func PageLabels(r io.ReadSeeker, pages int) (labels []string, err error) {
	// pdfcpu reports some faults by panicking inside its own recovery; a
	// file this package cannot read must fail alone, never take the process.
	defer func() {
		if p := recover(); p != nil {
			labels, err = nil, fmt.Errorf("%w: page labels: %v", ErrCorrupt, p)
		}
	}()
	// A configuration built here, not pdfcpu's default one, which would
	// write a config folder into the user's home.
	conf := &model.Configuration{ValidationMode: model.ValidationRelaxed, Reader15: true, Limits: model.DefaultResourceLimits()}
	ctx, err := api.ReadContext(r, conf)
	if err != nil {
		return nil, fmt.Errorf("%w: page labels: %v", ErrCorrupt, err)
	}
	cat, err := ctx.Catalog()
	if err != nil {
		return nil, fmt.Errorf("%w: page labels: %v", ErrCorrupt, err)
	}
	root, ok := cat.Find("PageLabels")
	if !ok {
		return nil, nil
	}
	var ranges []labelRange
	if err := collectLabels(ctx.XRefTable, root, 0, &ranges); err != nil {
		return nil, fmt.Errorf("%w: page labels: %v", ErrCorrupt, err)
	}
	return expandLabels(ranges, pages), nil
}

// labelRange is one entry of the number tree: from page index start on,
// labels are prefix + the number start+offset in style.
type labelRange struct {
	start  int // page index, 0-based
	style  string
	prefix string
	first  int // the number the range's first page carries (/St, default 1)
}

// collectLabels walks a number tree node: /Nums pairs, or /Kids below.
func collectLabels(x *model.XRefTable, o types.Object, depth int, out *[]labelRange) error {
	if depth > 32 {
		return fmt.Errorf("number tree deeper than 32")
	}
	d, err := x.DereferenceDict(o)
	if err != nil || d == nil {
		return err
	}
	if kids, ok := d.Find("Kids"); ok {
		arr, err := x.DereferenceArray(kids)
		if err != nil {
			return err
		}
		for _, k := range arr {
			if err := collectLabels(x, k, depth+1, out); err != nil {
				return err
			}
		}
	}
	nums, ok := d.Find("Nums")
	if !ok {
		return nil
	}
	arr, err := x.DereferenceArray(nums)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(arr); i += 2 {
		key, err := x.DereferenceInteger(arr[i])
		if err != nil || key == nil || key.Value() < 0 {
			continue
		}
		ld, err := x.DereferenceDict(arr[i+1])
		if err != nil || ld == nil {
			continue
		}
		r := labelRange{start: key.Value(), first: 1}
		if s, ok := ld.Find("S"); ok {
			if n, err := x.DereferenceName(s, model.V10, nil); err == nil {
				r.style = n.Value()
			}
		}
		if p, ok := ld.Find("P"); ok {
			if t, err := x.DereferenceText(p); err == nil {
				r.prefix = t
			}
		}
		if st, ok := ld.Find("St"); ok {
			if n, err := x.DereferenceInteger(st); err == nil && n != nil && n.Value() >= 1 {
				r.first = n.Value()
			}
		}
		*out = append(*out, r)
		if len(*out) > 100_000 {
			return fmt.Errorf("more than 100000 label ranges")
		}
	}
	return nil
}

// expandLabels gives each of pages pages its label. Pages before the first
// range, or all of them when no range is declared, have no label.
func expandLabels(ranges []labelRange, pages int) []string {
	if len(ranges) == 0 || pages <= 0 {
		return nil
	}
	slices.SortStableFunc(ranges, func(a, b labelRange) int { return a.start - b.start })
	out := make([]string, pages)
	j := -1
	for i := range out {
		for j+1 < len(ranges) && ranges[j+1].start <= i {
			j++
		}
		if j < 0 {
			continue
		}
		r := ranges[j]
		out[i] = r.prefix + labelNumber(r.style, r.first+i-r.start)
	}
	return out
}

// labelNumber writes n in a PDF label style: D decimal, R/r Roman, A/a
// letters (A…Z, AA…ZZ, …); no style means the prefix alone.
func labelNumber(style string, n int) string {
	switch style {
	case "D":
		return strconv.Itoa(n)
	case "R":
		return strings.ToUpper(roman(n))
	case "r":
		return roman(n)
	case "A":
		return strings.ToUpper(letters(n))
	case "a":
		return letters(n)
	}
	return ""
}

func roman(n int) string {
	if n <= 0 || n >= 5000 {
		return strconv.Itoa(n)
	}
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"m", "cm", "d", "cd", "c", "xc", "l", "xl", "x", "ix", "v", "iv", "i"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

// letters is the PDF letter style: a…z, then aa…zz, then aaa…
func letters(n int) string {
	if n <= 0 || n > 26*100 {
		return strconv.Itoa(n)
	}
	return strings.Repeat(string(rune('a'+(n-1)%26)), (n-1)/26+1)
}
