package ct2ggml

import (
	"math"
	"testing"
)

// TestF16ToF32 checks all 65536 halves against the value the IEEE format
// defines, computed independently in float64.
func TestF16ToF32(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		sign, exp, mant := h>>15, (h>>10)&0x1f, h&0x3ff
		got := f16ToF32Bits(uint16(h))
		if exp == 0x1f {
			if got>>23&0xff != 0xff || got&0x7fffff != uint32(mant)<<13 || got>>31 != uint32(sign) {
				t.Fatalf("%#04x: inf/nan -> %#08x", h, got)
			}
			continue
		}
		var want float64
		if exp == 0 {
			want = float64(mant) * math.Pow(2, -24)
		} else {
			want = (1 + float64(mant)/1024) * math.Pow(2, float64(exp-15))
		}
		if sign == 1 {
			want = -want
		}
		w := math.Float32bits(float32(want))
		if want == 0 && sign == 1 {
			w = 0x80000000
		}
		if got != w {
			t.Fatalf("%#04x: got %#08x want %#08x", h, got, w)
		}
	}
}
