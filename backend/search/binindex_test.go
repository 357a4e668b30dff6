package search

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestBinaryIndexShortlist(t *testing.T) {
	// Five 16-bit vectors: ids 1..5, Hamming distance to the query 0b0 is
	// the number of set bits.
	rows := []struct {
		id, coll int64
		bits     []byte
	}{
		{1, 1, []byte{0x00, 0x00}}, // 0
		{2, 1, []byte{0xff, 0x00}}, // 8
		{3, 2, []byte{0x01, 0x00}}, // 1
		{4, 2, []byte{0x03, 0x00}}, // 2
		{5, 1, []byte{0x03, 0x00}}, // 2
	}
	loads := 0
	x := NewBinaryIndex(func(_ context.Context, fn func(id, collection int64, bits []byte)) error {
		loads++
		for _, r := range rows {
			fn(r.id, r.coll, r.bits)
		}
		return nil
	})
	ctx := context.Background()
	for _, tc := range []struct {
		n    int
		coll int64
		want []int64
	}{
		{1, 0, []int64{1}},
		{2, 0, []int64{1, 3}},
		{3, 0, []int64{1, 3, 4}}, // a tie at distance 2: the first in id order
		{4, 0, []int64{1, 3, 4, 5}},
		{10, 0, []int64{1, 2, 3, 4, 5}},
		{2, 1, []int64{1, 5}},
		{5, 2, []int64{3, 4}},
	} {
		got, err := x.Shortlist(ctx, []byte{0, 0}, tc.n, tc.coll)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("n=%d coll=%d: %v, want %v", tc.n, tc.coll, got, tc.want)
		}
	}
	if loads != 1 || x.Len() != 5 {
		t.Errorf("loaded %d times, %d vectors", loads, x.Len())
	}
	x.Invalidate()
	rows = rows[:2]
	if got, _ := x.Shortlist(ctx, []byte{0, 0}, 10, 0); len(got) != 2 || loads != 2 {
		t.Errorf("after invalidate: %v (%d loads)", got, loads)
	}
	bad := NewBinaryIndex(func(context.Context, func(int64, int64, []byte)) error { return errors.New("disk gone") })
	if _, err := bad.Shortlist(ctx, []byte{0}, 1, 0); err == nil {
		t.Error("a failed load was not reported")
	}
}
