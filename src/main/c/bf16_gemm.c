/*
 * BF16 matrix products of training (sortedllama.train.Gemm under --precision bf16), on AMX tiles:
 * C[m,n] = beta * C + op(A) . op(B) with op(A), op(B) rounded to BF16 (round to nearest even) and
 * every sum kept in float32. Why: one AMX tdpbf16ps multiplies a 16 x 32 BF16 tile by a 32 x 16 one
 * into 16 x 16 float32 sums, 16 times the work of one AVX-512 float32 FMA in about 16 times its
 * cycles, with four of them in flight; measured against OpenBLAS's float32 sgemm in BENCHMARKS.md
 * (the OpenBLAS build we ship has no sbgemm).
 *
 * Exactness: a product of two BF16 values (8-bit significands) is exact in float32, so the only
 * rounding besides the operands' is that of the float32 sums, as in sgemm. The order of the sums over
 * k is fixed (k ascending in steps of 32, the tile's own order within a step), and each element of C
 * depends only on its own row of op(A) and column of op(B): the results do not depend on how the
 * caller cuts C into tiles, nor on the blocking below.
 *
 * Layouts (AMX's): an A tile is 16 rows of 32 BF16 values of k; a B tile is 16 rows of k-pairs, each
 * row 16 columns x (value k, value k+1) as one 32-bit word ("pairs" below). op(B) is packed once per
 * product into strips of 16 columns x all of k (sl_bf16_pack_b, called by Java in parallel), op(A)
 * per call in blocks of K_BLOCK values of k. Either operand may be stored transposed: packing reads
 * it along k or across it. B may be float32, F16 or BF16 (a frozen base matrix in its stored type:
 * F16 values are rounded to BF16 like float32 ones); A is float32 (activations and gradients).
 * Conversion uses vcvtneps2bf16, which also flushes denormal inputs to zero.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BF16_KERNEL __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,f16c,amx-tile,amx-bf16")))

/* type ids: GGML's, as in kernels.c and DType.ggmlId */
enum { T_F32 = 0, T_F16 = 1, T_BF16 = 30 };

/* values of k per block of packed A: a strip pair of B for one block (2 x 16 KiB) stays in L1, the
 * packed A of one call (at most a few hundred rows) in L2 */
#define K_BLOCK 512

int sl_amx_init(void); /* kernels.c: asks Linux for the tile registers */

/* 1 when this CPU has AVX512-BF16 and AMX-BF16 and Linux lets this process use the tiles */
int sl_bf16_init(void) {
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    int amx_bf16 = (d >> 22) & 1;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(1));
    int avx512_bf16 = (a >> 5) & 1;
    return amx_bf16 && avx512_bf16 && sl_amx_init();
}

static inline int elem_bytes(int type) {
    return type == T_F32 ? 4 : 2;
}

/* 16 values (fewer under mask, the rest 0) from p as BF16 */
static inline BF16_KERNEL __m256i load16(int type, const void *p, __mmask16 mask) {
    if (type == T_BF16) return _mm256_maskz_loadu_epi16(mask, p);
    __m512 f = type == T_F32 ? _mm512_maskz_loadu_ps(mask, p) : _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
    return (__m256i) _mm512_cvtneps_pbh(f);
}

static inline __mmask16 first(int n) {
    return n >= 16 ? 0xFFFF : (__mmask16) ((1u << (n > 0 ? n : 0)) - 1);
}

/* a 16 x 16 block of 32-bit words transposed in registers: four rounds of swapping the off-diagonal
 * blocks of 8, 4, 2 and 1 words (rows i and i + h trade the halves where their index bits differ) */
static inline BF16_KERNEL void transpose16(__m512i r[16]) {
    for (int h = 8; h >= 1; h /= 2) {
        int lo[16], hi[16];
        for (int x = 0; x < 16; x++) {
            lo[x] = (x & h) ? 16 + x - h : x; /* row i keeps its words without bit h, takes row i + h's */
            hi[x] = (x & h) ? 16 + x : x + h; /* row i + h takes row i's words with bit h */
        }
        const __m512i plo = _mm512_loadu_si512(lo), phi = _mm512_loadu_si512(hi);
        for (int i = 0; i < 16; i++) {
            if (i & h) continue;
            __m512i a = r[i], b = r[i + h];
            r[i] = _mm512_permutex2var_epi32(a, plo, b);
            r[i + h] = _mm512_permutex2var_epi32(a, phi, b);
        }
    }
}

/*
 * Values (kk, j) of op(X), kk in [k0, k0 + kc) and j in [j0, j0 + 16), as pairs: the 32-bit word of
 * values (k0 + 2p, k0 + 2p + 1) of index j. Values outside the matrix (kk >= k, j >= jn) are 0; kc is a
 * multiple of 32. Element (kk, j) is at x[j * ld + kk] when the matrix is stored along k (A as it is,
 * B transposed), else at x[kk * ld + j]. The words go to dst in rows of 16 words, row_stride words
 * apart: one row per index j holding its pairs (an A tile's rows) when by_index, else one row per
 * pair holding the 16 indices' words (a B tile's rows). Read in blocks of 16 x 16 words, each
 * transposed when the storage runs the other way.
 */
static BF16_KERNEL void pack_pairs(int type, const void *x, int64_t ld, int along_k, int k0, int kc, int k,
                                   int j0, int jn, int by_index, uint32_t *dst, int64_t row_stride) {
    const int es = elem_bytes(type);
    const char *base = x;
    const __mmask16 cols = first(jn - j0);
    for (int p0 = 0; p0 < kc / 2; p0 += 16) {
        const int kk0 = k0 + 2 * p0; /* the block's first value of k */
        __m512i r[16];
        for (int i = 0; i < 16; i++) {
            if (along_k) { /* row i: index j0 + i, values kk0 .. kk0 + 31 */
                const char *row = base + ((int64_t) (j0 + i) * ld + kk0) * es;
                int valid = j0 + i < jn ? k - kk0 : 0;
                __m256i lo = load16(type, row, first(valid)), hi = load16(type, row + 16 * es, first(valid - 16));
                r[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
            } else { /* row i: pair kk0 + 2i, kk0 + 2i + 1 of the 16 indices, interleaved into words */
                const int kk = kk0 + 2 * i;
                __m256i lo = load16(type, base + ((int64_t) kk * ld + j0) * es, kk < k ? cols : 0);
                __m256i hi = load16(type, base + ((int64_t) (kk + 1) * ld + j0) * es, kk + 1 < k ? cols : 0);
                r[i] = _mm512_or_si512(_mm512_cvtepu16_epi32(lo), _mm512_slli_epi32(_mm512_cvtepu16_epi32(hi), 16));
            }
        }
        if (along_k != by_index) transpose16(r);
        uint32_t *block = by_index ? dst + p0 : dst + (int64_t) p0 * row_stride;
        for (int i = 0; i < 16; i++) _mm512_storeu_si512(block + i * row_stride, r[i]);
    }
}

/* k rounded up to whole tiles (32 values); a strip of packed B holds padded_k / 2 rows of 16 words */
int sl_bf16_padded_k(int k) {
    return (k + 31) / 32 * 32;
}

/*
 * Columns [16 * s0, 16 * s1) of op(B) (op(B) is [k, n]; B stored [n, k] when trans_b) as strips of
 * pairs: strip s at packed + s * padded_k * 8 words, its row p (values 2p, 2p + 1) 16 words.
 * Columns past n are 0; s1 may run to an even count of strips (the kernel takes strips in pairs).
 */
BF16_KERNEL void sl_bf16_pack_b(int type, const void *b, int64_t ldb, int trans_b, int k, int n, int s0, int s1, uint32_t *packed) {
    const int kp = sl_bf16_padded_k(k);
    for (int s = s0; s < s1; s++) {
        uint32_t *strip = packed + (int64_t) s * kp * 8;
        for (int k0 = 0; k0 < kp; k0 += K_BLOCK) {
            int kc = kp - k0 < K_BLOCK ? kp - k0 : K_BLOCK;
            pack_pairs(type, b, ldb, trans_b, k0, kc, k, 16 * s, n, 0, strip + k0 / 2 * 16, 16);
        }
    }
}

typedef struct { uint8_t palette, start_row, reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; } bf16_tile_config_t;

/* per thread, grown as needed: packed A of one block (rows x K_BLOCK BF16) */
static _Thread_local uint32_t *packed_a;
static _Thread_local int64_t packed_a_words;

/*
 * C[m,n] = beta * C + op(A) . op(B) on the calling thread, op(A) [m,k] float32 (stored [k,m] when
 * trans_a), op(B) from sl_bf16_pack_b: b points at the strip of C's first column (n0 / 16, n0 a
 * multiple of 16) and row pk of the strips (k starts at value 2 * pk of op(B)'s k: a caller summing
 * over pieces of k passes each piece's start), strips b_stride words apart. Returns 0, or -1 when
 * memory for packing A ran out.
 */
BF16_KERNEL int sl_bf16_gemm(int trans_a, int m, int n, int k, const float *a, int64_t lda,
                             const uint32_t *b, int64_t b_stride, float beta, float *c, int64_t ldc) {
    const int kp = sl_bf16_padded_k(k), mp = (m + 31) / 32 * 32;
    if ((int64_t) mp * K_BLOCK / 2 > packed_a_words) {
        free(packed_a);
        packed_a_words = (int64_t) mp * K_BLOCK / 2;
        packed_a = aligned_alloc(64, packed_a_words * 4);
        if (packed_a == NULL) {
            packed_a_words = 0;
            return -1;
        }
    }
    /* beta first (0 writes zeros: C may hold garbage), then every block adds its sums into C */
    for (int i = 0; i < m; i++) {
        float *row = c + (int64_t) i * ldc;
        if (beta == 0.0f) memset(row, 0, sizeof(float) * n);
        else if (beta != 1.0f) for (int j = 0; j < n; j++) row[j] *= beta;
    }
    bf16_tile_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; } /* 0-3: C, 4-5: A, 6-7: B */
    _tile_loadconfig(&cfg);
    float edge[32][32] __attribute__((aligned(64))); /* a block of C that overhangs m or n */
    for (int k0 = 0; k0 < kp; k0 += K_BLOCK) {
        const int kc = kp - k0 < K_BLOCK ? kp - k0 : K_BLOCK;
        for (int i0 = 0; i0 < mp; i0 += 16) /* strip of 16 rows: row r at word (i0 + r) * kc / 2 */
            pack_pairs(T_F32, a, lda, !trans_a, k0, kc, k, i0, m, 1, packed_a + (int64_t) i0 * kc / 2, kc / 2);
        for (int j0 = 0; j0 < n; j0 += 32) {
            const uint32_t *b0 = b + (int64_t) (j0 / 16) * b_stride + k0 / 2 * 16, *b1 = b0 + b_stride;
            for (int i0 = 0; i0 < m; i0 += 32) {
                const int whole = i0 + 32 <= m && j0 + 32 <= n;
                float *cb = whole ? c + (int64_t) i0 * ldc + j0 : &edge[0][0];
                const int64_t cs = whole ? ldc * 4 : 128;
                if (!whole) {
                    memset(edge, 0, sizeof edge);
                    for (int i = i0; i < m && i < i0 + 32; i++)
                        for (int j = j0; j < n && j < j0 + 32; j++) edge[i - i0][j - j0] = c[(int64_t) i * ldc + j];
                }
                _tile_loadd(0, cb, cs);
                _tile_loadd(1, cb + 16, cs);
                _tile_loadd(2, (char *) cb + 16 * cs, cs);
                _tile_loadd(3, (char *) cb + 16 * cs + 64, cs);
                const uint32_t *a0 = packed_a + (int64_t) i0 * kc / 2, *a1 = a0 + 16 * kc / 2;
                for (int p = 0; p < kc / 2; p += 16) { /* 32 values of k */
                    _tile_loadd(4, a0 + p, kc * 2);
                    _tile_loadd(5, a1 + p, kc * 2);
                    _tile_loadd(6, b0 + p * 16, 64);
                    _tile_loadd(7, b1 + p * 16, 64);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
                _tile_stored(0, cb, cs);
                _tile_stored(1, cb + 16, cs);
                _tile_stored(2, (char *) cb + 16 * cs, cs);
                _tile_stored(3, (char *) cb + 16 * cs + 64, cs);
                if (!whole) {
                    for (int i = i0; i < m && i < i0 + 32; i++)
                        for (int j = j0; j < n && j < j0 + 32; j++) c[(int64_t) i * ldc + j] = edge[i - i0][j - j0];
                }
            }
        }
    }
    _tile_release();
    return 0;
}
