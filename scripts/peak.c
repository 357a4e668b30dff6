// The CPU's measured fp32 peak (build with -O3 -march=native -fopenmp, so
// that the chains stay in registers): every thread runs independent chains of
// fused multiply-adds on the widest vectors the CPU has,
// enough of them to hide the FMA latency. Prints GFLOP/s for all threads.
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define W 16
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SET(x) _mm512_set1_ps(x)
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define W 8
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SET(x) _mm256_set1_ps(x)
static float SUM(__m256 v) { float f[8]; _mm256_storeu_ps(f, v); float s = 0; for (int i = 0; i < 8; i++) s += f[i]; return s; }
#endif

#define CHAINS 12
#define ITERS 200000000L

int main(void) {
  double best = 0;
  for (int round = 0; round < 3; round++) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
      vec acc[CHAINS];
      for (int i = 0; i < CHAINS; i++) acc[i] = SET(1.0f + i * 1e-3f);
      vec m = SET(0.999999f), a = SET(1e-7f);
      for (long it = 0; it < ITERS / 10; it++)
        for (int i = 0; i < CHAINS; i++) acc[i] = FMA(acc[i], m, a);
      for (int i = 0; i < CHAINS; i++) sink += SUM(acc[i]);
    }
    double secs = omp_get_wtime() - t0;
    double flops = 2.0 * W * CHAINS * (double)(ITERS / 10) * omp_get_max_threads();
    if (flops / secs > best) best = flops / secs;
    if (sink == 42) printf("-");
  }
  printf("%d threads, %d-wide fp32 FMA: %.0f GFLOP/s\n", omp_get_max_threads(), W, best / 1e9);
  return 0;
}
