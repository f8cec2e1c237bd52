/*
 * Row products for decoding and few-token verification, called from Java through FFM
 * (sortedllama.tensor.NativeKernels): integer dot products of quantized weight rows with quantized
 * activations; float32/F16/BF16 rows with four float32 accumulators; and the expansion of quantized
 * rows to floats for prefill's sgemm. Why C: the speed of decoding quantized weights
 * comes from AVX512-VNNI's vpdpbusd (64 byte products summed into 16 ints in one instruction),
 * which the Vector API does not expose; without it a 4-bit row costs more in instructions than in
 * memory traffic.
 *
 * The scheme (the one llama.cpp uses, written here from the block definitions):
 *   - the activation vector is quantized once per product to 8-bit blocks: A32 (32 values, one
 *     float scale, and the sum of the 32 ints) for weight types with 32-value blocks, A256 (256
 *     values, one float scale, and the sums of each 16) for the 256-value "K" types;
 *   - per weight block the integer dot product is exact; the block's scales then apply in float:
 *     d_w * d_x * isum (minus dmin_w * d_x * sum(min_j * xsum_j) for types with mins).
 * Block layouts are documented in Dequantize.java, whose scalar decoders define them. The sections
 * below: activation quantization, helpers, unpacking (shared by products and expansion), 32-value
 * types, K types, float types, the entry points, the expansion.
 *
 * Every vector of a few-token product goes through exactly the code one vector does (batch
 * invariance: a position verified with others gets the bits it gets alone).
 * The kernels need AVX512-BW/VL/VNNI; sl_supported() says whether this CPU has them, and Java
 * uses its own kernels where it does not. Compiled with -ffp-contract=off: the float operations
 * are the ones written.
 */
#define _GNU_SOURCE /* syscall() */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <math.h>

#define KERNEL __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,avx512dq")))
/*
 * Rows are read once per token, mostly from L3 (or DRAM): the hardware prefetcher alone kept a Q8_0
 * row product at 11 GB/s across a 110M model's matrices, against 31 GB/s when the same matrix sat in
 * L2. Asking for the bytes 2 KiB ahead brings it to 22 GB/s (1 KiB: 21, 512: 16, 4 KiB: 22).
 */
#define PREFETCH_AHEAD 2048

/* ggml_type ids of the weight types served here */
enum { F32 = 0, F16 = 1, BF16 = 30, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14,
       IQ4_NL = 20, IQ4_XS = 23 };

/* Activation blocks. */
typedef struct { float d; int32_t sum; int8_t q[32]; } a32_t;  /* 40 bytes */
typedef struct { float d; int32_t unused; int16_t bsums[16]; int8_t q[256]; } a256_t; /* 296 bytes */

static const int8_t IQ4_LEVELS[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
/* the same plus 128, as unsigned bytes: the row-group kernels' IQ4_NL values (vpdpbusd takes them unsigned) */
static const uint8_t IQ4_UNSIGNED[16] = {1, 24, 45, 63, 79, 93, 106, 118, 129, 141, 153, 166, 181, 197, 217, 241};

int sl_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
}

int sl_a32_bytes(void) { return (int) sizeof(a32_t); }
int sl_a256_bytes(void) { return (int) sizeof(a256_t); }

/* ---- activation quantization, as llama.cpp rounds its activations (so that losses agree with its own) ----
 * A32 (its Q8_0): d = max|x| / 127 rounded to float16, q = round-half-even(x * 127 / max|x|).
 * A256 (its Q8_K): m = the value of largest magnitude, q = min(127, round-half-even(x * -127 / m)), d = 1 / (-127 / m).
 * ActivationBlocks.java computes the same values in Java; a test holds the two together bit for bit.
 */

static KERNEL float to_half_and_back(float f) {
    return _cvtsh_ss(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}

/*
 * n values (a multiple of 32) into n/32 A32 blocks. Vectorized: libm's fmaxf is a call per value
 * (its NaN rule keeps gcc from inlining it), and prefill quantizes every position's inputs, which
 * took more time than the AMX products themselves. For finite inputs the results are those of the
 * scalar definition above: max is exact in any order, and vcvtps2dq rounds half to even in the
 * default rounding mode, as nearbyintf does.
 */
static inline KERNEL void quantize_block32(const float *x, int8_t *q, float *d, int32_t *sum) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_andnot_ps(sign, x0), _mm512_andnot_ps(sign, x1)));
    float inv = amax != 0 ? 127.0f / amax : 0.0f;
    *d = to_half_and_back(amax / 127.0f);
    __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, _mm512_set1_ps(inv)));
    __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, _mm512_set1_ps(inv)));
    _mm_storeu_si128((__m128i *) q, _mm512_cvtsepi32_epi8(q0));
    _mm_storeu_si128((__m128i *) (q + 16), _mm512_cvtsepi32_epi8(q1));
    *sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
}

KERNEL void sl_quantize_a32(const float *x, int n, a32_t *out) {
    for (int b = 0; b < n / 32; b++) quantize_block32(x + 32 * b, out[b].q, &out[b].d, &out[b].sum);
}

/* n values (a multiple of 256) into n/256 A256 blocks; vectorized as sl_quantize_a32, the same values */
KERNEL void sl_quantize_a256(const float *x, int n, a256_t *out) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int b = 0; b < n / 256; b++, x += 256) {
        __m512 m = _mm512_setzero_ps();
        for (int i = 0; i < 256; i += 16) m = _mm512_max_ps(m, _mm512_andnot_ps(sign, _mm512_loadu_ps(x + i)));
        float amax = _mm512_reduce_max_ps(m), max = 0;
        if (amax != 0) { /* the first value of that magnitude, with its sign */
            __m512 all = _mm512_set1_ps(amax);
            for (int i = 0; i < 256; i += 16) {
                __mmask16 at = _mm512_cmp_ps_mask(_mm512_andnot_ps(sign, _mm512_loadu_ps(x + i)), all, _CMP_EQ_OQ);
                if (at) {
                    max = x[i + __builtin_ctz(at)];
                    break;
                }
            }
        }
        float iscale = amax != 0 ? -127.0f / max : 0.0f;
        out[b].d = amax != 0 ? 1.0f / iscale : 0.0f;
        out[b].unused = 0;
        for (int g = 0; g < 16; g++) {
            __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * g), _mm512_set1_ps(iscale)));
            q = _mm512_min_epi32(q, _mm512_set1_epi32(127));
            _mm_storeu_si128((__m128i *) (out[b].q + 16 * g), _mm512_cvtsepi32_epi8(q));
            out[b].bsums[g] = (int16_t) _mm512_reduce_add_epi32(q);
        }
    }
}

/* ---- helpers ---- */

/* prefetch the cache lines of the block that lies PREFETCH_AHEAD bytes past this one */
static inline void prefetch_ahead(const uint8_t *w, int bytes) {
    for (int o = 0; o < bytes; o += 64) _mm_prefetch((const char *) w + PREFETCH_AHEAD + o, _MM_HINT_T0);
}

/*
 * The same for the kernels that take several vectors at once: a block keeps them busy several times as long, so the
 * one-vector distance left their loads waiting on DRAM (and the hardware prefetcher does not reach as far). On one
 * core of an AMD EPYC (Zen 5), 80 MB of row groups took, with 8 KiB against the loop through prefetch_ahead (which
 * gcc had left out of these inlined kernels, by their disassembly): Q8_0 0.63x (8 vectors) and 0.82x
 * (48), Q4_0 0.89x and 0.86x; 6-16 KiB and T0 or T1 alike (a throwaway C driver, alternating, best of 20).
 */
#define MULTI_PREFETCH_AHEAD 8192

/*
 * Q8_0's tile groups ask twice for each line: into L1 at the one-vector distance, and before that into L2 (T1)
 * this far ahead. With one distance only, a core either computed or waited: on one core, 8 vectors over 115 MiB
 * of groups took 11.9 ms, about their time in L2 (5.4-6.3) plus one vector's from DRAM (5.0-5.5), and 9.9-11.3 ms
 * with 8 KiB in the rounds below. With both, 6.6-8.5 ms for near/far pairs of 1/16, 2/8, 2/16, 2/32 and 4/24 KiB,
 * and on both cores 3.5-4.3 ms against 5.3-8.3 (2/32 KiB); one vector 3.3-3.8 against 3.9-4.3 ms (a throwaway C
 * driver, alternating, best of 10-20; BENCHMARKS.md). Q4_0's kernel keeps MULTI_PREFETCH_AHEAD: this gained it nothing.
 */
#define L2_PREFETCH_AHEAD 32768

static inline KERNEL float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline KERNEL int hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

static inline KERNEL float hsum_f32(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 values from 16 bytes of nibbles: the low nibbles are values 0..15, the high ones 16..31 */
static inline KERNEL __m256i nibbles32(const uint8_t *p) {
    __m128i b = _mm_loadu_si128((const __m128i *) p);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(b, 4), b), _mm256_set1_epi8(0x0F));
}

/* eight lane sums of 4 products each: unsigned weights (0..255) times signed activations */
static inline KERNEL __m256i dot_u8(__m256i w, __m256i x) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), w, x);
}

/* the same for signed weights: |w| times x with w's sign (activations are never -128) */
static inline KERNEL __m256i dot_s8(__m256i w, __m256i x) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

static inline KERNEL __m256i load32(const void *p) {
    return _mm256_loadu_si256((const __m256i *) p);
}

/* bits of a little-endian 32-bit mask as bytes holding `value` or 0 (Q5's fifth bits) */
static inline KERNEL __m256i bits_to_bytes(const uint8_t *p, char value) {
    uint32_t m;
    memcpy(&m, p, 4);
    return _mm256_maskz_mov_epi8((__mmask32) m, _mm256_set1_epi8(value));
}

/* eight ints: the first four scaled by a, the last four by b (two sub-blocks of 16 in one dot) */
static inline KERNEL __m256i scale_halves(__m256i v, int a, int b) {
    return _mm256_mullo_epi32(v, _mm256_set_m128i(_mm_set1_epi32(b), _mm_set1_epi32(a)));
}

/* ---- unpacking, shared by the dot products and the expansion to floats: 32 unsigned values per vector ---- */

/* bits [shift, shift + width) of every byte, moved to bit `at` */
static inline KERNEL __m256i bit_field(__m256i v, int shift, int width, int at) {
    __m256i field = _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8((char) ((1 << width) - 1)));
    return at ? _mm256_slli_epi16(field, at) : field;
}

/* Q4_K/Q5_K: sub-blocks 2p (low nibbles of qs[32p..]) and 2p+1 (high nibbles), fifth bits from qh's bits 2p, 2p+1 */
static inline KERNEL void q45k_pair(const uint8_t *qs, __m256i high, int five, int p, __m256i *q0, __m256i *q1) {
    __m256i packed = load32(qs + 32 * p);
    *q0 = bit_field(packed, 0, 4, 0);
    *q1 = bit_field(packed, 4, 4, 0);
    if (five) {
        *q0 = _mm256_or_si256(*q0, bit_field(high, 2 * p, 1, 4));
        *q1 = _mm256_or_si256(*q1, bit_field(high, 2 * p + 1, 1, 4));
    }
}

/* Q6_K: values 128h + 32k + l (l < 32) as 6-bit unsigned q (stored value q - 32), from half h's
 * ql[64h..64h+31] (ql0), ql[64h+32..] (ql1) and qh[32h..] */
static inline KERNEL __m256i q6k_values(__m256i ql0, __m256i ql1, __m256i qh, int k) {
    return _mm256_or_si256(bit_field((k & 1) ? ql1 : ql0, 4 * (k >> 1), 4, 0), bit_field(qh, 2 * k, 2, 4));
}

/* Q3_K: values 128h + 32j + l as 3-bit unsigned q (stored value q - 4: a clear high bit subtracts 4),
 * from half h's qs[32h..] and the 32 bytes of hmask */
static inline KERNEL __m256i q3k_values(__m256i qs, __m256i hm, int h, int j) {
    return _mm256_or_si256(bit_field(qs, 2 * j, 2, 0), bit_field(hm, 4 * h + j, 1, 2));
}

/* the 32 values of part j of half h of a Q6_K (six) or Q3_K block, unsigned; `half_vectors` loads h's vectors */
typedef struct { __m256i a, b, c; } half_vectors_t;

static inline KERNEL half_vectors_t offset16_half(int six, const uint8_t *w, int h) {
    half_vectors_t v;
    if (six) {
        v.a = load32(w + 64 * h);
        v.b = load32(w + 64 * h + 32);
        v.c = load32(w + 128 + 32 * h);
    } else {
        v.a = load32(w + 32 + 32 * h);
        v.b = v.a;
        v.c = load32(w);
    }
    return v;
}

static inline KERNEL __m256i offset16_values(int six, half_vectors_t v, int h, int j) {
    return six ? q6k_values(v.a, v.b, v.c, j) : q3k_values(v.a, v.c, h, j);
}

/* Q2_K: values 128h + 32j + l as 2-bit unsigned q */
static inline KERNEL __m256i q2k_values(const uint8_t *w, int h, int j) {
    return bit_field(load32(w + 16 + 32 * h), 2 * j, 2, 0);
}

/* ---- 32-value block types, against A32 activations ---- */

/* Q8_0, Q4_0, Q5_0, IQ4_NL: signed values times one scale. */
static KERNEL float dot_signed32(int type, const uint8_t *w, const a32_t *x, int blocks) {
    const int bytes = type == Q8_0 ? 34 : type == Q5_0 ? 22 : 18;
    const __m256i levels = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) IQ4_LEVELS));
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++, w += bytes) {
        prefetch_ahead(w, bytes);
        __m256i q;
        switch (type) {
            case Q8_0: q = load32(w + 2); break;
            case Q4_0: q = _mm256_sub_epi8(nibbles32(w + 2), _mm256_set1_epi8(8)); break;
            case Q5_0: q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(w + 6), bits_to_bytes(w + 2, 0x10)), _mm256_set1_epi8(16)); break;
            default: q = _mm256_shuffle_epi8(levels, nibbles32(w + 2)); break; /* IQ4_NL */
        }
        __m256i ip = dot_s8(q, load32(x[b].q));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ip), _mm256_set1_ps(half(w) * x[b].d), acc);
    }
    return hsum_f32(acc);
}

/* Q4_1, Q5_1: unsigned values times a scale plus a min: sum = d*dx*sum(q*xq) + m*dx*sum(xq). */
static KERNEL float dot_offset32(int type, const uint8_t *w, const a32_t *x, int blocks) {
    const int bytes = type == Q4_1 ? 20 : 24;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < blocks; b++, w += bytes) {
        prefetch_ahead(w, bytes);
        __m256i q = type == Q4_1 ? nibbles32(w + 4) : _mm256_or_si256(nibbles32(w + 8), bits_to_bytes(w + 4, 0x10));
        __m256i ip = dot_u8(q, load32(x[b].q));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ip), _mm256_set1_ps(half(w) * x[b].d), acc);
        mins += half(w + 2) * x[b].d * (float) x[b].sum;
    }
    return hsum_f32(acc) + mins;
}

/* ---- 256-value K types, against A256 activations: integer sums per super-block, then floats ---- */

/* the 6-bit scale and min of sub-block j of Q4_K/Q5_K's 12 scale bytes */
static inline int k_scale(const uint8_t *s, int j) {
    return j < 4 ? s[j] & 63 : (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
}

static inline int k_min(const uint8_t *s, int j) {
    return j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
}

/* sum over sub-blocks of 32 of min_j * (sum of the activations of sub-block j) */
static inline int mins_by_32(const uint8_t *scales, const a256_t *x) {
    int sum = 0;
    for (int j = 0; j < 8; j++) sum += k_min(scales, j) * (x->bsums[2 * j] + x->bsums[2 * j + 1]);
    return sum;
}

/* sum over the 16 sub-blocks of 16 of scale_j * (sum of its activations) */
static inline KERNEL __m256i scaled_bsums(const int8_t *scales16, const a256_t *x) {
    __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) scales16));
    return _mm256_madd_epi16(load32(x->bsums), sc);
}

static KERNEL float dot_q4k_q5k(int five, const uint8_t *w, const a256_t *x, int blocks) {
    const int bytes = five ? 176 : 144;
    float sum = 0;
    for (int b = 0; b < blocks; b++, w += bytes, x++) {
        prefetch_ahead(w, bytes);
        const uint8_t *scales = w + 4, *qs = w + (five ? 48 : 16);
        __m256i high = five ? load32(w + 16) : _mm256_setzero_si256();
        __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) {
            __m256i q0, q1;
            q45k_pair(qs, high, five, p, &q0, &q1);
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(dot_u8(q0, load32(x->q + 64 * p)), _mm256_set1_epi32(k_scale(scales, 2 * p))));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(dot_u8(q1, load32(x->q + 64 * p + 32)), _mm256_set1_epi32(k_scale(scales, 2 * p + 1))));
        }
        float dx = x->d;
        sum += half(w) * dx * (float) hsum_i32(isum);
        sum -= half(w + 2) * dx * (float) mins_by_32(scales, x);
    }
    return sum;
}

/* Q3_K's 16 six-bit scales, offset 32 removed */
static inline void q3k_scales(const uint8_t *s, int8_t *out) {
    for (int i = 0; i < 16; i++) {
        int lo = (s[i % 8] >> (4 * (i / 8))) & 0x0F, hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
        out[i] = (int8_t) ((lo | (hi << 4)) - 32);
    }
}

/*
 * Q6_K and Q3_K: 16 sub-blocks of 16 with signed 8-bit scales, values stored as unsigned q minus an
 * offset (32 for Q6_K's 6 bits; 4 for Q3_K, whose clear high bit subtracts 4): the unsigned products
 * first, then offset * scale_j * (sum of sub-block j's activations) off, all in integers. Two
 * functions of the same shape rather than one with a type switch: the merged one measured 15-30%
 * slower for Q6_K (all matrices of a 110M model in turn: 18-22 GB/s against 25).
 */
static inline KERNEL float offset16_sum(__m256i isum, const int8_t *sc, const a256_t *x, int offset_bits, float d) {
    isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(scaled_bsums(sc, x), offset_bits));
    return d * x->d * (float) hsum_i32(isum);
}

static KERNEL float dot_q6k(const uint8_t *w, const a256_t *x, int blocks) {
    float sum = 0;
    for (int b = 0; b < blocks; b++, w += 210, x++) {
        prefetch_ahead(w, 210);
        const int8_t *sc = (const int8_t *) (w + 192);
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i ql0 = load32(w + 64 * h), ql1 = load32(w + 64 * h + 32), qh = load32(w + 128 + 32 * h);
#pragma GCC unroll 4 /* constant shift counts: immediate-operand shifts */
            for (int k = 0; k < 4; k++) {
                __m256i ip = dot_u8(q6k_values(ql0, ql1, qh, k), load32(x->q + 128 * h + 32 * k));
                isum = _mm256_add_epi32(isum, scale_halves(ip, sc[8 * h + 2 * k], sc[8 * h + 2 * k + 1]));
            }
        }
        sum += offset16_sum(isum, sc, x, 5, half(w + 208));
    }
    return sum;
}

static KERNEL float dot_q3k(const uint8_t *w, const a256_t *x, int blocks) {
    float sum = 0;
    for (int b = 0; b < blocks; b++, w += 110, x++) {
        prefetch_ahead(w, 110);
        int8_t sc[16];
        q3k_scales(w + 96, sc);
        __m256i hm = load32(w), isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i qs = load32(w + 32 + 32 * h);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m256i ip = dot_u8(q3k_values(qs, hm, h, j), load32(x->q + 128 * h + 32 * j));
                isum = _mm256_add_epi32(isum, scale_halves(ip, sc[8 * h + 2 * j], sc[8 * h + 2 * j + 1]));
            }
        }
        sum += offset16_sum(isum, sc, x, 2, half(w + 108));
    }
    return sum;
}

static KERNEL float dot_q2k(const uint8_t *w, const a256_t *x, int blocks) {
    float sum = 0;
    for (int b = 0; b < blocks; b++, w += 84, x++) {
        prefetch_ahead(w, 84);
        const uint8_t *scales = w;
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 4; j++) {
                int s = 8 * h + 2 * j;
                __m256i ip = dot_u8(q2k_values(w, h, j), load32(x->q + 128 * h + 32 * j));
                isum = _mm256_add_epi32(isum, scale_halves(ip, scales[s] & 0x0F, scales[s + 1] & 0x0F));
            }
        }
        int mins = 0;
        for (int j = 0; j < 16; j++) mins += (scales[j] >> 4) * x->bsums[j];
        float dx = x->d;
        sum += half(w + 80) * dx * (float) hsum_i32(isum);
        sum -= half(w + 82) * dx * (float) mins;
    }
    return sum;
}

static KERNEL float dot_iq4xs(const uint8_t *w, const a256_t *x, int blocks) {
    const __m256i levels = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) IQ4_LEVELS));
    float sum = 0;
    for (int b = 0; b < blocks; b++, w += 136, x++) {
        prefetch_ahead(w, 136);
        int scalesH = w[2] | (w[3] << 8);
        __m256i isum = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            int ls = ((w[4 + j / 2] >> (4 * (j % 2))) & 0x0F) | (((scalesH >> (2 * j)) & 3) << 4);
            __m256i ip = dot_s8(_mm256_shuffle_epi8(levels, nibbles32(w + 8 + 16 * j)), load32(x->q + 32 * j));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(ip, _mm256_set1_epi32(ls - 32)));
        }
        sum += half(w) * x->d * (float) hsum_i32(isum);
    }
    return sum;
}

/* ---- float types: float32 activations, four accumulators (cache-resident rows are bound by FMA latency) ---- */

static inline KERNEL __m512 load16(int type, const uint8_t *w, int i) {
    switch (type) {
        case F32: return _mm512_loadu_ps(w + 4 * (int64_t) i);
        case F16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (w + 2 * (int64_t) i)));
        default: return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *) (w + 2 * (int64_t) i))), 16));
    }
}

static inline KERNEL float scalar_weight(int type, const uint8_t *w, int i) {
    uint16_t h;
    float f;
    switch (type) {
        case F32: memcpy(&f, w + 4 * (int64_t) i, 4); return f;
        case F16: memcpy(&h, w + 2 * (int64_t) i, 2); return _cvtsh_ss(h);
        default: {
            memcpy(&h, w + 2 * (int64_t) i, 2);
            uint32_t bits = (uint32_t) h << 16;
            memcpy(&f, &bits, 4);
            return f;
        }
    }
}

static KERNEL float dot_float(int type, const uint8_t *w, const float *x, int n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    const int size = type == F32 ? 4 : 2;
    for (; i + 64 <= n; i += 64) {
        prefetch_ahead(w + (int64_t) size * i, 64 * size);
        a0 = _mm512_fmadd_ps(load16(type, w, i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(load16(type, w, i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(load16(type, w, i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(load16(type, w, i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(load16(type, w, i), _mm512_loadu_ps(x + i), a0);
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; i++) sum += scalar_weight(type, w, i) * x[i];
    return sum;
}

/* ---- entry points ---- */

/* Whether `type` (a ggml id) is served here, and which activation blocks it takes: 32, 256, 1 (floats), or 0 (not served). */
int sl_activation_block(int type) {
    switch (type) {
        case Q8_0: case Q4_0: case Q4_1: case Q5_0: case Q5_1: case IQ4_NL: return 32;
        case Q2_K: case Q3_K: case Q4_K: case Q5_K: case Q6_K: case IQ4_XS: return 256;
        case F32: case F16: case BF16: return 1; /* float32 activations as they are */
        default: return 0;
    }
}

static KERNEL float dot_row(int type, const uint8_t *w, const void *x, int cols) {
    switch (type) {
        case Q8_0: case Q4_0: case Q5_0: case IQ4_NL: return dot_signed32(type, w, x, cols / 32);
        case Q4_1: case Q5_1: return dot_offset32(type, w, x, cols / 32);
        case Q4_K: return dot_q4k_q5k(0, w, x, cols / 256);
        case Q5_K: return dot_q4k_q5k(1, w, x, cols / 256);
        case Q6_K: return dot_q6k(w, x, cols / 256);
        case Q3_K: return dot_q3k(w, x, cols / 256);
        case Q2_K: return dot_q2k(w, x, cols / 256);
        case IQ4_XS: return dot_iq4xs(w, x, cols / 256);
        case F32: case F16: case BF16: return dot_float(type, w, x, cols);
        default: return NAN;
    }
}

/*
 * out[t * out_stride + r] = row r of w . activation t, for rows [r0, r1) and tokens [0, tokens).
 * w: the matrix's first row, rows row_bytes apart; xq: the quantized activations of token t at
 * xq + t * xq_stride (bytes). Each row is read from memory once for all the tokens.
 */
KERNEL void sl_matvec(int type, const uint8_t *w, int64_t row_bytes, int cols, int r0, int r1, const uint8_t *xq,
                      int64_t xq_stride, int tokens, float *out, int64_t out_stride) {
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * row_bytes;
        for (int t = 0; t < tokens; t++) out[t * out_stride + r] = dot_row(type, row, xq + t * xq_stride, cols);
    }
}

/* ---- row groups: 32-value types repacked eight (Q8_0: sixteen) rows at a time, for decoding ----
 * Reading one row at a time, each 32-value block costs its own scale conversion, broadcast and
 * float multiply-add beside a single integer dot product: for Q4_0 and Q8_0 that bookkeeping, not
 * memory, bounded the product (about 2 ns a block on the 110M model). Repacked once at load (as
 * llama.cpp's REPACK layouts do; this layout is our own), block b of rows 8g..8g+7 becomes
 *   8 float16 scales: row r's d at r (16 bytes: the file's own 2 bytes a row, nothing added: decoding
 *   is bound by the bytes it reads);
 *   values: Q4_0, IQ4_NL: 2 parts of 64 bytes, part p holding row r's nibble bytes 8p..8p+7 at 8r;
 *   (Q8_0's groups of 16 rows: see "Q8_0's tile groups" below; Q4_K's 256-value super-blocks: see group_rows_q4k).
 * One 512-bit vpdpbusd then multiplies 8 values of all eight rows with the same 8 activations
 * (broadcast), lane 2r+h summing row r's quads of parity h; one scale vector serves eight rows. The
 * unsigned values carry an offset (8 for Q4_0's nibbles, 128 for IQ4_NL's levels stored plus 128) whose
 * products lane 2r's sum starts by removing: -offset * (the activations' sum). Per block, lane 2r + lane
 * 2r+1 (integers: row r's whole block) then takes its scales in float and adds to row r's sum, in the AMX kernel's
 * order: every row and every token gets the same operations whatever the grouping of tokens, the
 * range of rows asked for or the kernel (batch invariance holds as for single rows).
 */
/* rows per group: Q8_0's groups are AMX tiles of 16 rows */
int sl_group_height(int type) {
    return type == Q8_0 ? 16 : 8;
}

static int group_block_bytes(int type) {
    switch (type) {
        case Q8_0: return 32 + 8 * 64;
        case Q4_0: case IQ4_NL: return 16 + 2 * 64;
        case Q4_K: return 16 + 16 + 64 + 64 + 16 * 64;
        default: return 0;
    }
}

/* Bytes of the repacked matrix (rows a multiple of the group height), or 0 when this type or shape is not repacked. */
int64_t sl_group_bytes(int type, int rows, int cols) {
    const int block = sl_activation_block(type), h = sl_group_height(type);
    if (group_block_bytes(type) == 0 || rows % h != 0 || cols % block != 0) return 0;
    return (int64_t) rows / h * (cols / block) * group_block_bytes(type);
}

static void group_rows_q4k(const uint8_t *w, int64_t row_bytes, int rows, int cols, uint8_t *dst);

/* rows of w (row_bytes apart) into dst, which holds sl_group_bytes(type, rows, cols) bytes */
void sl_group_rows(int type, const uint8_t *w, int64_t row_bytes, int rows, int cols, uint8_t *dst) {
    if (type == Q4_K) {
        group_rows_q4k(w, row_bytes, rows, cols, dst);
        return;
    }
    const int blocks = cols / 32, gb = group_block_bytes(type), h = sl_group_height(type);
    for (int g = 0; g < rows / h; g++) {
        for (int b = 0; b < blocks; b++) {
            uint8_t *out = dst + ((int64_t) g * blocks + b) * gb;
            for (int r = 0; r < h; r++) {
                const uint8_t *in = w + (int64_t) (h * g + r) * row_bytes + (int64_t) b * (type == Q8_0 ? 34 : 18);
                memcpy(out + 2 * r, in, 2);
                if (type == Q8_0) {
                    for (int k = 0; k < 8; k++) {
                        for (int j = 0; j < 4; j++) out[32 + 64 * k + 4 * r + j] = (uint8_t) (in[2 + 4 * k + j] ^ 0x80);
                    }
                } else {
                    for (int p = 0; p < 2; p++) memcpy(out + 16 + 64 * p + 8 * r, in + 2 + 8 * p, 8);
                }
            }
        }
    }
}

/* 8 bytes (8 activations) in every 64-bit lane */
static inline KERNEL __m512i broadcast8(const int8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return _mm512_set1_epi64(v);
}

/* zeroed memory for repacked weights, on transparent huge pages where Linux has them (NULL on failure); freed by sl_unmap.
 * Linux gives them only to whole aligned 2 MiB stretches, so a matrix under 2 MiB gets none (BENCHMARKS.md: aligning
 * and rounding up every matrix did not make the batch faster) */
void *sl_map_huge(int64_t bytes) {
    void *p = mmap(NULL, (size_t) bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    madvise(p, (size_t) bytes, MADV_HUGEPAGE); /* advice only: without THP the pages are 4 KiB */
    return p;
}

void sl_unmap(void *p, int64_t bytes) {
    munmap(p, (size_t) bytes);
}

/* eight float16 values, one per row, as 16 floats: row r's in lanes 2r and 2r+1 (odd lanes zero when `even_only`) */
static inline KERNEL __m512 row_halves_doubled(const uint8_t *p, int even_only) {
    const __m512i twice = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    __m512 v = _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p)));
    return even_only ? _mm512_maskz_permutexvar_ps(0x5555, twice, v) : _mm512_permutexvar_ps(twice, v);
}

/*
 * Q8_0's tile groups: block b of rows 16g..16g+15 is 16 float16 scales (row n's d at 2n: 32 bytes),
 * then 8 lines of 64 bytes, line k holding values 4k..4k+3 of row n at 4n, stored plus 128: the
 * layout of an AMX weight tile (a dword per row, four values of k each), so that prefill and a batch
 * of decoding steps load the tiles as they lie, with no rearranging per product; and for one vector,
 * one 512-bit vpdpbusd multiplies four values of all sixteen rows with the same four activations
 * (broadcast), lane n summing row n. The lanes start at -128 * (the activations' sum): the offset's
 * products. Each row then takes d_row * d_token in float per block, in the AMX kernel's order.
 *
 * Here for n vectors at once, n at most 8 (xq: the first vector's blocks, the others xq_stride bytes apart):
 * each line of the group is loaded once for all of them, and each vector gets the same operations in the
 * same order whatever n is, so its result has the same bits. Without AMX, prefill runs on this kernel
 * (Matmul.rowsAtAnyCount). Inlined with n a constant (8, 4, 2 and 1), so that its loops unroll and acc stays in
 * registers. On one core of an AMD EPYC (Zen 5), 768 x 768 in L2: 64 vectors took 0.43-0.47x the time of
 * one vector at a time with n = 8, 0.52x with n = 4, 0.72x with n = 2 (a throwaway C driver, best of 20).
 */
static inline __attribute__((always_inline)) KERNEL void tile_group_dots(const int n, const uint8_t *g, const uint8_t *xq, int64_t xq_stride,
                                                                         int blocks, __m512 acc[8]) {
    const int gb = group_block_bytes(Q8_0);
#pragma GCC unroll 8
    for (int j = 0; j < n; j++) acc[j] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++, g += gb) {
        /* written out here, a constant count of lines: through a helper, or bounded by gb, gcc 12 left it out */
        for (int o = 0; o < 9 * 64; o += 64) {
            _mm_prefetch((const char *) g + PREFETCH_AHEAD + o, _MM_HINT_T0);
            _mm_prefetch((const char *) g + L2_PREFETCH_AHEAD + o, _MM_HINT_T1);
        }
        __m512i even[8], odd[8];
#pragma GCC unroll 8
        for (int j = 0; j < n; j++) {
            even[j] = _mm512_set1_epi32(-128 * ((const a32_t *) (xq + j * xq_stride))[b].sum);
            odd[j] = _mm512_setzero_si512();
        }
#pragma GCC unroll 4
        for (int k = 0; k < 8; k += 2) {
            const __m512i w0 = _mm512_loadu_si512(g + 32 + 64 * k), w1 = _mm512_loadu_si512(g + 32 + 64 * (k + 1));
#pragma GCC unroll 8
            for (int j = 0; j < n; j++) {
                const int8_t *q = ((const a32_t *) (xq + j * xq_stride))[b].q;
                int32_t f0, f1;
                memcpy(&f0, q + 4 * k, 4);
                memcpy(&f1, q + 4 * k + 4, 4);
                even[j] = _mm512_dpbusd_epi32(even[j], w0, _mm512_set1_epi32(f0));
                odd[j] = _mm512_dpbusd_epi32(odd[j], w1, _mm512_set1_epi32(f1));
            }
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) g));
#pragma GCC unroll 8
        for (int j = 0; j < n; j++) {
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(((const a32_t *) (xq + j * xq_stride))[b].d));
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(even[j], odd[j])), scale, acc[j]);
        }
    }
}

static inline __attribute__((always_inline)) KERNEL void group_dots(const int n, int type, const uint8_t *g, const uint8_t *xq,
                                                                    int64_t xq_stride, int blocks, __m512 acc[8]);

/* n vectors' products (tile_group_dots for Q8_0, else group_dots) stored: rows lo..hi-1 of group g (h rows), vectors t..t+n-1 */
static inline __attribute__((always_inline)) KERNEL void store_group_dots(const int n, int type, const uint8_t *gp, const uint8_t *xq, int64_t xq_stride,
                                                                          int blocks, int t, int g, int h, int lo, int hi, float *out, int64_t out_stride) {
    __m512 acc[8];
    float rows[16];
    if (type == Q8_0) tile_group_dots(n, gp, xq + t * xq_stride, xq_stride, blocks, acc);
    else group_dots(n, type, gp, xq + t * xq_stride, xq_stride, blocks, acc);
    for (int j = 0; j < n; j++) {
        _mm512_storeu_ps(rows, acc[j]);
        for (int r = lo; r < hi; r++) out[(t + j) * out_stride + h * g + r] = rows[r];
    }
}

/*
 * The eight rows of a Q4_0 or IQ4_NL row group against n vectors, n at most 8 (xq: the first vector's blocks, the
 * others xq_stride bytes apart): row r's result in float r of acc[j]. Each block's nibbles are loaded and unpacked
 * once for all the vectors, and each vector gets the same operations in the same order whatever n is (the same
 * bits). Inlined with n a constant, as tile_group_dots; stored by store_group_dots. On one core
 * of an AMD EPYC (Zen 5), 768 x 768 in L2, 64 vectors took 0.46x (Q4_0) and 0.53x (IQ4_NL) the time of one
 * vector at a time (a throwaway C driver, best of 20). Q4_K's kernel is left one vector at a time.
 */
static inline __attribute__((always_inline)) KERNEL void group_dots(const int n, int type, const uint8_t *g, const uint8_t *xq,
                                                                    int64_t xq_stride, int blocks, __m512 acc[8]) {
    const int gb = group_block_bytes(type);
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i levels = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) IQ4_UNSIGNED));
#pragma GCC unroll 8
    for (int j = 0; j < n; j++) acc[j] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++, g += gb) {
        for (int o = 0; o < 3 * 64; o += 64) _mm_prefetch((const char *) g + (n == 1 ? PREFETCH_AHEAD : MULTI_PREFETCH_AHEAD) + o, _MM_HINT_T0);
        __m512i lo[2], hi[2];
        for (int p = 0; p < 2; p++) {
            __m512i v = _mm512_loadu_si512(g + 16 + 64 * p);
            lo[p] = _mm512_and_si512(v, nibble);
            hi[p] = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
            if (type == IQ4_NL) {
                lo[p] = _mm512_shuffle_epi8(levels, lo[p]);
                hi[p] = _mm512_shuffle_epi8(levels, hi[p]);
            }
        }
        const __m512 dw = row_halves_doubled(g, 0);
#pragma GCC unroll 8
        for (int j = 0; j < n; j++) {
            const a32_t *xb = (const a32_t *) (xq + j * xq_stride) + b;
            __m512i isum = _mm512_maskz_set1_epi32(0x5555, -(type == Q4_0 ? 8 : 128) * xb->sum); /* the offset's products, once per row */
            for (int p = 0; p < 2; p++) {
                isum = _mm512_dpbusd_epi32(isum, lo[p], broadcast8(xb->q + 8 * p));
                isum = _mm512_dpbusd_epi32(isum, hi[p], broadcast8(xb->q + 16 + 8 * p));
            }
            /* lane 2r: row r's whole block in integers, then its scale: the AMX kernel's float operations in
             * its order, so that a vector's result is the same whichever kernel serves it */
            isum = _mm512_add_epi32(isum, _mm512_shuffle_epi32(isum, _MM_PERM_CDAB));
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, _mm512_set1_ps(xb->d)), acc[j]);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < n; j++) acc[j] = _mm512_maskz_compress_ps(0x5555, acc[j]); /* row r's sum in float r */
}

/*
 * Q4_K's row groups: per super-block of 256 values, for rows 8g..8g+7: d[8] and dmin[8] (float16),
 * the 6-bit scales sc[j][r] and mins m[j][r] of the 8 sub-blocks of 32 as bytes, then for sub-block
 * pair p and chunk c, 64 bytes holding row r's qs[32p + 8c .. + 7] at 8r (low nibbles: sub-block 2p's
 * values 8c..8c+7, high nibbles: sub-block 2p+1's). Row r's sum is, per super-block,
 * d_r dx sum_j sc_jr (q . x)_j - dmin_r dx sum_j m_jr (sum of x over sub-block j).
 */
static void group_rows_q4k(const uint8_t *w, int64_t row_bytes, int rows, int cols, uint8_t *dst) {
    const int blocks = cols / 256, gb = group_block_bytes(Q4_K);
    for (int g = 0; g < rows / 8; g++) {
        for (int b = 0; b < blocks; b++) {
            uint8_t *out = dst + ((int64_t) g * blocks + b) * gb;
            for (int r = 0; r < 8; r++) {
                const uint8_t *in = w + (int64_t) (8 * g + r) * row_bytes + (int64_t) b * 144;
                memcpy(out + 2 * r, in, 2);
                memcpy(out + 16 + 2 * r, in + 2, 2);
                for (int j = 0; j < 8; j++) {
                    out[32 + 8 * j + r] = (uint8_t) k_scale(in + 4, j);
                    out[96 + 8 * j + r] = (uint8_t) k_min(in + 4, j);
                }
                for (int p = 0; p < 4; p++) {
                    for (int c = 0; c < 4; c++) memcpy(out + 160 + 256 * p + 64 * c + 8 * r, in + 16 + 32 * p + 8 * c, 8);
                }
            }
        }
    }
}

/* eight bytes, one per row, as 16 ints: row r's in lanes 2r and 2r+1 */
static inline KERNEL __m512i row_bytes_doubled(const uint8_t *p) {
    __m128i v = _mm_loadl_epi64((const __m128i *) p);
    return _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(v, v));
}


static KERNEL __m256 group_dot_q4k(const uint8_t *g, const a256_t *x, int blocks) {
    const int gb = group_block_bytes(Q4_K);
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    __m512 acc = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++, g += gb, x++) {
        prefetch_ahead(g, gb);
        __m512i isum = _mm512_setzero_si512(), msum = _mm512_setzero_si512();
        for (int p = 0; p < 4; p++) {
            __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
            for (int c = 0; c < 4; c++) {
                __m512i v = _mm512_loadu_si512(g + 160 + 256 * p + 64 * c);
                lo = _mm512_dpbusd_epi32(lo, _mm512_and_si512(v, nibble), broadcast8(x->q + 64 * p + 8 * c));
                hi = _mm512_dpbusd_epi32(hi, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble), broadcast8(x->q + 64 * p + 32 + 8 * c));
            }
            isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(lo, row_bytes_doubled(g + 32 + 8 * (2 * p))));
            isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(hi, row_bytes_doubled(g + 32 + 8 * (2 * p + 1))));
            for (int h = 0; h < 2; h++) {
                int j = 2 * p + h, xsum = x->bsums[2 * j] + x->bsums[2 * j + 1];
                msum = _mm512_add_epi32(msum, _mm512_mullo_epi32(row_bytes_doubled(g + 96 + 8 * j), _mm512_set1_epi32(xsum)));
            }
        }
        __m512 dx = _mm512_set1_ps(x->d);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(row_halves_doubled(g, 0), dx), acc);
        acc = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(row_halves_doubled(g + 16, 1), dx), acc);
    }
    __m512 pairs = _mm512_add_ps(acc, _mm512_permute_ps(acc, 0xB1));
    return _mm512_castps512_ps256(_mm512_maskz_compress_ps(0x5555, pairs));
}

/*
 * Two of Q8_0's tile groups (rows 16g..16g+31: g0, and g1 group_bytes further) against n vectors, n at most 4:
 * row r of group q for vector j in acc[q * n + j]. Each activation broadcast feeds both groups, which is the
 * point: with one group, the broadcasts took as many of the core's vector slots as the vpdpbusd themselves.
 * Each vector's block sums are exact in integers and its float operations are tile_group_dots's, in its order
 * (the same bits). No prefetching of its own: pair_rows asks for the next pair while this one is computed.
 */
static inline __attribute__((always_inline)) KERNEL void tile_pair_dots(const int n, const uint8_t *g0, int64_t group_bytes,
                                                                        const uint8_t *xq, int64_t xq_stride, int blocks, __m512 acc[8]) {
    const int gb = group_block_bytes(Q8_0);
#pragma GCC unroll 8
    for (int i = 0; i < 2 * n; i++) acc[i] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++, g0 += gb) {
        const uint8_t *g1 = g0 + group_bytes;
        __m512i sum[8];
#pragma GCC unroll 4
        for (int j = 0; j < n; j++) sum[j] = sum[n + j] = _mm512_set1_epi32(-128 * ((const a32_t *) (xq + j * xq_stride))[b].sum);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            const __m512i w0 = _mm512_loadu_si512(g0 + 32 + 64 * k), w1 = _mm512_loadu_si512(g1 + 32 + 64 * k);
#pragma GCC unroll 4
            for (int j = 0; j < n; j++) {
                int32_t f;
                memcpy(&f, ((const a32_t *) (xq + j * xq_stride))[b].q + 4 * k, 4);
                const __m512i x = _mm512_set1_epi32(f);
                sum[j] = _mm512_dpbusd_epi32(sum[j], w0, x);
                sum[n + j] = _mm512_dpbusd_epi32(sum[n + j], w1, x);
            }
        }
        const __m512 dw0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) g0)), dw1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) g1));
#pragma GCC unroll 4
        for (int j = 0; j < n; j++) {
            const __m512 dx = _mm512_set1_ps(((const a32_t *) (xq + j * xq_stride))[b].d);
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[j]), _mm512_mul_ps(dw0, dx), acc[j]);
            acc[n + j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[n + j]), _mm512_mul_ps(dw1, dx), acc[n + j]);
        }
    }
}

/* n vectors' products of a pair of whole groups (tile_pair_dots), vectors t..t+n-1, stored: group g's rows at 16g */
static inline __attribute__((always_inline)) KERNEL void store_pair_dots(const int n, const uint8_t *gp, int64_t group_bytes, const uint8_t *xq,
                                                                         int64_t xq_stride, int blocks, int t, int g, float *out, int64_t out_stride) {
    __m512 acc[8];
    tile_pair_dots(n, gp, group_bytes, xq + t * xq_stride, xq_stride, blocks, acc);
    for (int q = 0; q < 2; q++) {
        for (int j = 0; j < n; j++) _mm512_storeu_ps(out + (t + j) * out_stride + 16 * (g + q), acc[q * n + j]);
    }
}

/*
 * From this many vectors on, Q8_0's whole groups go two at a time (pair_rows). On both cores of an AMD EPYC
 * (Zen 5), against one group at a time (a throwaway C driver, the same bits, mean of 12-200 passes): 0.78-0.85x
 * the time with 64 vectors on one 2048 x 768 matrix (in L2); on 160 such matrices (from DRAM) 0.75-0.80x with 128
 * vectors, 0.84-0.89x with 64-70, 0.97x with 48, and 1.0-1.2x with 32, where a pair's bytes come in over too few
 * passes (BENCHMARKS.md).
 */
#define PAIR_MIN_TOKENS 48

/*
 * Q8_0's whole groups g0 .. g0+2*pairs-1, two at a time, their vectors four at a time: prefill's products, which
 * are bound by the core's vector slots, not by memory. While a pair is computed, the next pair's lines are asked
 * for into L2, a slice per pass over the vectors, so that they arrive spread over the pair's passes.
 */
static KERNEL void pair_rows(const uint8_t *groups, int64_t group_bytes, int blocks, int g0, int pairs, const uint8_t *xq,
                             int64_t xq_stride, int tokens, float *out, int64_t out_stride) {
    const int passes = (tokens + 3) / 4;
    const int64_t pair_bytes = 2 * group_bytes, slice = (pair_bytes / passes + 63) & ~(int64_t) 63;
    for (int64_t o = 0; o < pair_bytes; o += 64) _mm_prefetch((const char *) groups + g0 * group_bytes + o, _MM_HINT_T1);
    for (int p = 0; p < pairs; p++) {
        const int g = g0 + 2 * p;
        const uint8_t *gp = groups + g * group_bytes, *next = p + 1 < pairs ? gp + pair_bytes : NULL;
        for (int t = 0, pass = 0; t < tokens; t += 4, pass++) {
            for (int64_t o = pass * slice; next != NULL && o < (pass + 1) * slice && o < pair_bytes; o += 64) _mm_prefetch((const char *) next + o, _MM_HINT_T1);
            switch (tokens - t) {
                case 1: store_pair_dots(1, gp, group_bytes, xq, xq_stride, blocks, t, g, out, out_stride); break;
                case 2: store_pair_dots(2, gp, group_bytes, xq, xq_stride, blocks, t, g, out, out_stride); break;
                case 3: store_pair_dots(3, gp, group_bytes, xq, xq_stride, blocks, t, g, out, out_stride); break;
                default: store_pair_dots(4, gp, group_bytes, xq, xq_stride, blocks, t, g, out, out_stride);
            }
        }
    }
}

static KERNEL void group_rows_dots(int type, const uint8_t *groups, int cols, int r0, int r1, const uint8_t *xq,
                                   int64_t xq_stride, int tokens, float *out, int64_t out_stride);

/*
 * sl_matvec for a repacked matrix (groups: sl_group_rows's output): rows [r0, r1). With PAIR_MIN_TOKENS vectors
 * or more, Q8_0's whole groups go two at a time (pair_rows) and the groups the range cuts one at a time.
 */
KERNEL void sl_matvec_grouped(int type, const uint8_t *groups, int cols, int r0, int r1, const uint8_t *xq,
                              int64_t xq_stride, int tokens, float *out, int64_t out_stride) {
    const int h = sl_group_height(type), first = (r0 + h - 1) / h, pairs = (r1 / h - first) / 2;
    if (type != Q8_0 || tokens < PAIR_MIN_TOKENS || pairs < 1) {
        group_rows_dots(type, groups, cols, r0, r1, xq, xq_stride, tokens, out, out_stride);
        return;
    }
    const int blocks = cols / sl_activation_block(type), paired = h * (first + 2 * pairs);
    if (r0 < h * first) group_rows_dots(type, groups, cols, r0, h * first, xq, xq_stride, tokens, out, out_stride);
    pair_rows(groups, (int64_t) blocks * group_block_bytes(type), blocks, first, pairs, xq, xq_stride, tokens, out, out_stride);
    if (paired < r1) group_rows_dots(type, groups, cols, paired, r1, xq, xq_stride, tokens, out, out_stride);
}

/* rows [r0, r1) a group at a time (a group cut by the range is computed whole and stored in part) */
static KERNEL void group_rows_dots(int type, const uint8_t *groups, int cols, int r0, int r1, const uint8_t *xq,
                                   int64_t xq_stride, int tokens, float *out, int64_t out_stride) {
    const int blocks = cols / sl_activation_block(type), h = sl_group_height(type);
    const int64_t group_bytes = (int64_t) blocks * group_block_bytes(type);
    float rows[16];
    for (int g = r0 / h; h * g < r1; g++) {
        int lo = r0 > h * g ? r0 - h * g : 0, hi = r1 < h * g + h ? r1 - h * g : h;
        const uint8_t *gp = groups + g * group_bytes;
        if (type != Q4_K) { /* several vectors at a time; Q4_K's kernel one at a time */
            int t = 0;
            for (; t + 8 <= tokens; t += 8) store_group_dots(8, type, gp, xq, xq_stride, blocks, t, g, h, lo, hi, out, out_stride);
            for (; t + 4 <= tokens; t += 4) store_group_dots(4, type, gp, xq, xq_stride, blocks, t, g, h, lo, hi, out, out_stride);
            for (; t + 2 <= tokens; t += 2) store_group_dots(2, type, gp, xq, xq_stride, blocks, t, g, h, lo, hi, out, out_stride);
            for (; t < tokens; t++) store_group_dots(1, type, gp, xq, xq_stride, blocks, t, g, h, lo, hi, out, out_stride);
            continue;
        }
        for (int t = 0; t < tokens; t++) {
            _mm256_storeu_ps(rows, group_dot_q4k(gp, (const a256_t *) (xq + t * xq_stride), blocks));
            for (int r = lo; r < hi; r++) out[t * out_stride + h * g + r] = rows[r];
        }
    }
}

/* a block's values as 8-bit integers with a scale (and min) per 16: the unpackers in "expansion to floats" */
typedef struct { int8_t q[256]; float scale[16]; float min[16]; } unpacked_t;
static KERNEL void unpack(int type, const uint8_t *w, unpacked_t *u);

/* ---- prefill and batches of a few vectors on AMX tiles, from the row groups ----
 * Sapphire Rapids' AMX multiplies a 16 x 32 tile of 8-bit activations (16 tokens' A32 values) by a
 * 32 x 16 tile of 8-bit weights (16 rows' values of one block) into 16 x 16 ints in one instruction.
 * Q8_0's tile groups are already in the tile's layout (row k of the tile holds values 4k..4k+3 of
 * each of the 16 rows) and unsigned: one pass reads them as they lie (tdpbsud; the offset's products,
 * -128 x the token's sum, come off the ints), several make them signed once per row tile. The other
 * types' row groups (rows 16i..16i+15: two groups) are rearranged per block into that layout as signed
 * values (tdpbssd, no offset). Each block's ints then take their scales in
 * float32, d_row * d_token. The sums are exact in integers and the float work is per block in a fixed
 * order: for the 32-value types it is the per-row kernels' order (a row's block sum, times d_row *
 * d_token, added to its sum), so a vector gets the same bits from either kernel whatever the number
 * of vectors; Q4_K's mins and Q6_K's sub-blocks come in other orders than their per-row kernels'.
 */
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18
#define AMX KERNEL __attribute__((target("amx-tile,amx-int8")))
/*
 * A batch of up to 16 vectors reads Q8_0's weight tiles once, straight from its tile groups, so on a
 * model's worth of matrices (from L3 or DRAM) the bytes bound it as they bound one vector. With only the
 * hardware prefetcher a batch of 8 took 1.9x one vector's time across 115 MiB of 2048 x 768 matrices
 * (1.1x across 38 MiB). Asking for the tile group's lines this far ahead (15 blocks of 16 rows) brought
 * it to 1.2x; 2 KiB, the one-vector kernels' distance, left it at 1.3x on one core, 16 KiB and 4 KiB
 * were a few percent slower than 8 KiB. The lines are asked into L2 (T1), not L1 (T0; our reading, not
 * measured: a T0 request holds one of L1's few fill buffers until its line arrives, and the products'
 * own loads wait behind them). On both cores over 118 MB of 2048 x 768 matrices a batch of 8 took 4.1-4.9 ms with T1
 * against 5.1-5.7 with T0 (bench matmul, alternating). The one-vector kernels gained nothing from T1.
 */
#define AMX_PREFETCH_AHEAD 8192

/* 1 when this CPU has AMX-INT8 and Linux lets this process use its tiles (asked once per process) */
int sl_amx_init(void) {
    __builtin_cpu_init();
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    int amx_int8 = (d >> 25) & 1, amx_tile = (d >> 24) & 1;
    if (!amx_int8 || !amx_tile || !sl_supported()) return 0;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

typedef struct { uint8_t palette, start_row, reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; } tile_config_t;

/* the 4 chunks of 8 values (chunk c: values 8c..8c+7 of each of the 8 rows) of block g of a Q4_0 or IQ4_NL row group, as signed bytes */
static inline KERNEL void signed_chunks(int type, const uint8_t *g, __m512i chunk[4]) {
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i levels = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *) IQ4_LEVELS));
    for (int p = 0; p < 2; p++) {
        __m512i v = _mm512_loadu_si512(g + 16 + 64 * p);
        __m512i lo = _mm512_and_si512(v, nibble), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
        if (type == IQ4_NL) {
            chunk[p] = _mm512_shuffle_epi8(levels, lo);      /* values 8p..8p+7 */
            chunk[2 + p] = _mm512_shuffle_epi8(levels, hi);  /* values 16+8p.. */
        } else {
            chunk[p] = _mm512_sub_epi8(lo, _mm512_set1_epi8(8));
            chunk[2 + p] = _mm512_sub_epi8(hi, _mm512_set1_epi8(8));
        }
    }
}

/* the tile of 16 rows' 32 values from two groups' chunks (row k: values 4k..4k+3 of row n at dword n) */
static inline KERNEL void chunks_to_tile(const __m512i c0[4], const __m512i c1[4], uint8_t tile[8][64]) {
    for (int k = 0; k < 8; k++) { /* values 4k..4k+3 are in chunk k/2 at dword 2r + k%2 of row r */
        const __m512i pick = _mm512_set_epi32(30 + k % 2, 28 + k % 2, 26 + k % 2, 24 + k % 2, 22 + k % 2, 20 + k % 2, 18 + k % 2, 16 + k % 2,
                                              14 + k % 2, 12 + k % 2, 10 + k % 2, 8 + k % 2, 6 + k % 2, 4 + k % 2, 2 + k % 2, k % 2);
        _mm512_store_si512(tile[k], _mm512_permutex2var_epi32(c0[k / 2], pick, c1[k / 2]));
    }
}

/* two groups' eight float16 values (rows 0..7 of each) as the 16 rows' floats */
static inline KERNEL __m512 sixteen_halves(const uint8_t *h0, const uint8_t *h1) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) h0))),
                              _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) h1)), 1);
}

/* two groups' eight bytes (one per row) as the 16 rows' floats */
static inline KERNEL __m512 sixteen_bytes(const uint8_t *b0, const uint8_t *b1) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *) b0), _mm_loadl_epi64((const __m128i *) b1))));
}

/* block b's weight tile for rows 16i..16i+15 (groups g0, g1) of a 32-value type, and the 16 rows' scales */
static inline KERNEL void weight_tile(int type, const uint8_t *g0, const uint8_t *g1, uint8_t tile[8][64], float scales[16]) {
    __m512i c0[4], c1[4];
    signed_chunks(type, g0, c0);
    signed_chunks(type, g1, c1);
    chunks_to_tile(c0, c1, tile);
    _mm512_store_ps(scales, sixteen_halves(g0, g1));
}

/*
 * Q4_K: sub-block j of super-block g0/g1 (rows 16i..16i+15) as a tile of its 32 nibbles (0..15), with
 * the 16 rows' scales d * sc_j and mins dmin * m_j (floats): a sub-block is then a block like a 32-value
 * type's, and the mins' term comes off once per sub-block in float.
 */
static inline KERNEL void weight_tile_q4k(const uint8_t *g0, const uint8_t *g1, int j, uint8_t tile[8][64], float scales[16], float mins[16]) {
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const int p = j / 2, shift = 4 * (j % 2);
    __m512i c0[4], c1[4];
    for (int c = 0; c < 4; c++) {
        c0[c] = _mm512_and_si512(_mm512_srli_epi16(_mm512_loadu_si512(g0 + 160 + 256 * p + 64 * c), shift), nibble);
        c1[c] = _mm512_and_si512(_mm512_srli_epi16(_mm512_loadu_si512(g1 + 160 + 256 * p + 64 * c), shift), nibble);
    }
    chunks_to_tile(c0, c1, tile);
    _mm512_store_ps(scales, _mm512_mul_ps(sixteen_halves(g0, g1), sixteen_bytes(g0 + 32 + 8 * j, g1 + 32 + 8 * j)));
    _mm512_store_ps(mins, _mm512_mul_ps(sixteen_halves(g0 + 16, g1 + 16), sixteen_bytes(g0 + 96 + 8 * j, g1 + 96 + 8 * j)));
}

/*
 * a block's ints (a tile stored to `ints`) into the first m tokens' sums: acc[t] += (ints[t] + offsets[t]) *
 * (ws * d[t]), ws the 16 rows' scales; offsets NULL for none
 */
static inline KERNEL void scale_block(const int32_t ints[16][16], __m512 ws, const float *d, const int32_t *offsets, int m, __m512 acc[16]) { /* d: 16 floats, any alignment */
#pragma GCC unroll 16
    for (int t = 0; t < 16; t++) {
        if (t < m) {
            __m512i sum = _mm512_load_si512(ints[t]);
            if (offsets != NULL) sum = _mm512_add_epi32(sum, _mm512_set1_epi32(offsets[t]));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ws, _mm512_set1_ps(d[t])), acc[t]);
        }
    }
}

/* blocks in flight: block b's product is issued DEPTH-1 blocks before its ints are read back, so that
 * reading them does not wait for the tile unit */
#define DEPTH 4
#define PRODUCT(c, at, bt) do { \
        _tile_loadd(at, acts + (int64_t) b * 16 * K, K); \
        _tile_loadd(bt, btiles + (int64_t) b * bstep, 64); \
        _tile_zero(c); \
        if (from_group) _tile_dpbsud(c, at, bt); \
        else _tile_dpbssd(c, at, bt); \
    } while (0)

/*
 * One row tile's sums for up to 16 tokens over all its blocks, into acc (the first m tokens'): the products
 * DEPTH blocks deep on the tiles, each block's ints scaled in block order. `from_group`: Q8_0's weight tiles
 * read unsigned as they lie in the row tile's tile group g (one pass over the weights: see
 * AMX_PREFETCH_AHEAD), each block's scales converted as it is scaled, the offsets' products taken off with
 * them; else signed tiles made beforehand (16 x K bytes each) with their scales. Inlined with from_group a
 * constant, so that each caller's loop has only its own work: a test of it per block made prefill 2-7%
 * slower.
 */
static inline __attribute__((always_inline)) AMX void row_tile_sums(const int from_group, const uint8_t *g, const uint8_t *tiles,
                                                                    const float (*scales)[16], const int8_t *acts, int K, const float (*d)[16],
                                                                    const int32_t (*offsets)[16], int blocks, int m, __m512 acc[16]) {
    const int gb = group_block_bytes(Q8_0);
    const uint8_t *btiles = from_group ? g + 32 : tiles;
    const int64_t bstep = from_group ? gb : 16 * K;
    int32_t ints[16][16] __attribute__((aligned(64)));
    for (int b = 0; b < blocks + DEPTH - 1; b++) { /* the product of block b, the scales of block b-DEPTH+1 */
        if (b < blocks) {
            if (from_group) { /* the 9 lines of a block ahead; a constant count: gcc 12 deleted this loop when bounded by gb */
                const char *ahead = (const char *) g + (int64_t) b * gb + AMX_PREFETCH_AHEAD;
                for (int o = 0; o < 9 * 64; o += 64) _mm_prefetch(ahead + o, _MM_HINT_T1);
            }
            switch (b % DEPTH) { /* tile numbers are constants of the instructions */
                case 0: PRODUCT(0, 4, 6); break;
                case 1: PRODUCT(1, 5, 7); break;
                case 2: PRODUCT(2, 4, 6); break;
                default: PRODUCT(3, 5, 7); break;
            }
        }
        const int done = b - DEPTH + 1;
        if (done < 0) continue;
        switch (done % DEPTH) {
            case 0: _tile_stored(0, ints, 64); break;
            case 1: _tile_stored(1, ints, 64); break;
            case 2: _tile_stored(2, ints, 64); break;
            default: _tile_stored(3, ints, 64); break;
        }
        if (from_group) scale_block(ints, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (g + (int64_t) done * gb))), d[done], offsets[done], m, acc);
        else scale_block(ints, _mm512_load_ps(scales[done]), d[done], NULL, m, acc);
    }
}

/*
 * Q6_K's tiles for rows 16i..16i+15 (rows row_bytes apart in the file's layout: Q6_K is not repacked),
 * super-block sb: its 16 sub-blocks of 16 values (q - 32, signed) as 16 tiles of K = 16, with the rows'
 * scales d * sc_j.
 */
static inline KERNEL void weight_tiles_q6k(const uint8_t *rows, int64_t row_bytes, int sb, uint8_t *tiles, float scales[][16]) {
    unpacked_t u[16];
    for (int n = 0; n < 16; n++) unpack(Q6_K, rows + n * row_bytes + (int64_t) sb * 210, &u[n]);
    for (int j = 0; j < 16; j++) {
        uint8_t *tile = tiles + 256 * j;
        for (int k = 0; k < 4; k++) {
            for (int n = 0; n < 16; n++) memcpy(tile + 64 * k + 4 * n, u[n].q + 16 * j + 4 * k, 4);
        }
        for (int n = 0; n < 16; n++) scales[j][n] = u[n].scale[j];
    }
}

/* values per AMX block: Q6_K's sub-blocks of 16 each have their own scale; the other types' blocks (Q4_K's sub-blocks) are 32 */
static int amx_k(int type) {
    return type == Q6_K ? 16 : 32;
}

/*
 * The activations as the AMX kernel reads them, made once per input (every row tile of every matrix that
 * takes it reads them): per 16 tokens and block of K values, the 16 x K bytes of a tile (zeros past the
 * last token); then per 16 tokens and block the 16 tokens' scales d (float); for Q4_K then d x the token's
 * sum over the sub-block, for the mins' term; for the 32-value types -128 x the token's sum over the
 * block (int), the offset of Q8_0's unsigned weights.
 */
int64_t sl_amx_input_bytes(int type, int cols, int tokens) {
    const int64_t tiles = (int64_t) ((tokens + 15) / 16) * (cols / amx_k(type));
    return tiles * (16 * amx_k(type) + 64 + (type == Q6_K ? 0 : 64));
}

/* the tiles of tokens 16 tile0 .. 16 tile1 - 1 only (zeros past the last token), so that the cores can share
 * out an input's tiles. The 32-value types' blocks are quantized here from the floats x (xq unused): made
 * by sl_quantize_a32 and then copied into the tiles, the copy took about as long as the quantization */
KERNEL void sl_amx_input(int type, const float *x, const uint8_t *xq, int64_t xq_stride, int cols, int tokens, uint8_t *dst, int tile0, int tile1) {
    const int K = amx_k(type), blocks = cols / K, per_a256 = 256 / K, tile_bytes = 16 * K;
    const int64_t tiles = (int64_t) ((tokens + 15) / 16) * blocks;
    int8_t *acts = (int8_t *) dst;
    float *d = (float *) (dst + tiles * tile_bytes), *sums = d + 16 * tiles;
    int32_t *offsets = (int32_t *) sums; /* the 32-value types' place for Q4_K's sums */
    const int a256 = sl_activation_block(type) == 256;
    for (int t = 16 * tile0; t < 16 * tile1; t++) {
        const int64_t at = (int64_t) (t / 16) * blocks;
        for (int b = 0; b < blocks; b++) {
            const int64_t lane = (at + b) * 16 + t % 16;
            if (t >= tokens) { /* the last tile's padding */
                memset(acts + lane * K, 0, (size_t) K);
                d[lane] = 0;
                if (type != Q6_K) offsets[lane] = 0; /* Q6_K's input has no sums */
            } else if (a256) {
                const a256_t *a = (const a256_t *) (xq + t * xq_stride) + b / per_a256;
                const int j = b % per_a256;
                memcpy(acts + lane * K, a->q + K * j, (size_t) K);
                d[lane] = a->d;
                if (type == Q4_K) sums[lane] = a->d * (float) (a->bsums[2 * j] + a->bsums[2 * j + 1]);
            } else {
                int32_t sum;
                quantize_block32(x + (int64_t) t * cols + 32 * b, acts + lane * K, &d[lane], &sum);
                offsets[lane] = -128 * sum;
            }
        }
    }
}

/*
 * out[t * out_stride + r] for rows [16 * i0, 16 * i1) (row tiles) and tokens [0, tokens): the product
 * of a matrix (rows a multiple of 16) with its activations as sl_amx_input lays them out, from its
 * row groups (Q8_0, Q4_0, IQ4_NL, Q4_K) or, for Q6_K, its rows in the file's layout (row_bytes apart).
 * Needs sl_amx_init(). The product runs over blocks of K values (amx_k).
 * Q8_0's weight tiles are read as they lie in its tile groups; for the other types, per row tile
 * every block's weight tile is made once (it then serves every 16 tokens from L1/L2);
 * per 16 tokens the 16 x 16 sums stay in registers across the blocks, and DEPTH blocks' products
 * are in flight on the tiles while the vector unit scales an earlier block's ints. Q4_K's mins come
 * off at the end: sum over sub-blocks of (dmin m_j) x (d_x x the token's sum over the sub-block).
 */
AMX void sl_matmul_amx(int type, const uint8_t *w, int64_t row_bytes, int cols, int i0, int i1, const uint8_t *input,
                       int tokens, float *out, int64_t out_stride) {
    const int q4k = type == Q4_K, q6k = type == Q6_K, q8 = type == Q8_0, K = amx_k(type);
    const int blocks = cols / K, token_tiles = (tokens + 15) / 16, gb = group_block_bytes(type);
    const int64_t group_bytes = q6k ? 0 : (int64_t) (cols / sl_activation_block(type)) * gb, tile_bytes = 16 * K;
    const int8_t *all_acts = (const int8_t *) input;
    const float (*all_d)[16] = (const float (*)[16]) (input + (int64_t) token_tiles * blocks * tile_bytes);
    const float (*all_sums)[16] = all_d + (int64_t) token_tiles * blocks;
    const int32_t (*all_offsets)[16] = (const int32_t (*)[16]) all_sums;
    uint8_t *tiles = aligned_alloc(64, (size_t) (blocks * tile_bytes));
    float (*scales)[16] = aligned_alloc(64, (size_t) blocks * 64);
    float (*mins)[16] = q4k ? aligned_alloc(64, (size_t) blocks * 64) : NULL;
    if (tiles == NULL || scales == NULL || (q4k && mins == NULL)) {
        free(tiles);
        free(scales);
        free(mins);
        return;
    }
    tile_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    /* fewer than 16 tokens (a batch of decoding steps, a speculative verification): tiles of that many
     * rows, so that the tile unit and the scaling do no work for the absent ones */
    const uint8_t token_rows = (uint8_t) (tokens < 16 ? tokens : 16);
    for (int k = 0; k < 4; k++) {
        cfg.rows[k] = token_rows; cfg.colsb[k] = 64; /* C: 16 tokens x 16 rows of ints, DEPTH of them */
    }
    for (int k = 4; k < 6; k++) {
        cfg.rows[k] = token_rows; cfg.colsb[k] = (uint16_t) K;  /* A: 16 tokens x K activations */
        cfg.rows[k + 2] = (uint8_t) (K / 4); cfg.colsb[k + 2] = 64; /* B: K values x 16 rows, 4 values a row per dword */
    }
    _tile_loadconfig(&cfg);
    /* Q8_0's tiles for one pass over the weights read as they lie in its tile groups (signed activations
     * times unsigned weights: tdpbsud, the offset's products removed with the scales) */
    const int from_group = q8 && token_tiles == 1;
    for (int i = i0; i < i1; i++) {
        /* the weight tiles, unless from_group: Q8_0's made signed once for several passes, so that no pass
         * takes off offsets; the others' made here */
        const uint8_t *g = w + (int64_t) i * group_bytes; /* Q8_0's tile group */
        if (from_group) {
            /* nothing to make: the scales too are read as each block is scaled (a pass over them ahead of
             * the products missed in cache once per block and took a third of the time) */
        } else if (q8) {
            for (int b = 0; b < blocks; b++) _mm512_store_ps(scales[b], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (g + (int64_t) b * gb))));
            for (int b = 0; b < blocks; b++) {
                for (int k = 0; k < 8; k++) {
                    _mm512_store_si512(tiles + (int64_t) b * tile_bytes + 64 * k,
                                       _mm512_xor_si512(_mm512_loadu_si512(g + (int64_t) b * gb + 32 + 64 * k), _mm512_set1_epi8((char) 0x80)));
                }
            }
        } else if (q6k) {
            for (int sb = 0; sb < cols / 256; sb++) weight_tiles_q6k(w + (int64_t) 16 * i * row_bytes, row_bytes, sb, tiles + (int64_t) 16 * sb * tile_bytes, scales + 16 * sb);
        } else {
            const uint8_t *g0 = w + (int64_t) (2 * i) * group_bytes, *g1 = g0 + group_bytes;
            for (int b = 0; b < blocks; b++) {
                uint8_t (*tile)[64] = (uint8_t (*)[64]) (tiles + (int64_t) b * tile_bytes);
                if (q4k) weight_tile_q4k(g0 + (int64_t) (b / 8) * gb, g1 + (int64_t) (b / 8) * gb, b % 8, tile, scales[b], mins[b]);
                else weight_tile(type, g0 + (int64_t) b * gb, g1 + (int64_t) b * gb, tile, scales[b]);
            }
        }
        for (int tt = 0; tt < token_tiles; tt++) {
            const int8_t *acts = all_acts + (int64_t) tt * blocks * tile_bytes;
            const float (*d)[16] = all_d + (int64_t) tt * blocks;
            const int m = tokens - 16 * tt < 16 ? tokens - 16 * tt : 16;
            __m512 acc[16];
#pragma GCC unroll 16
            for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
            if (from_group) row_tile_sums(1, g, NULL, NULL, acts, K, d, all_offsets + (int64_t) tt * blocks, blocks, m, acc);
            else row_tile_sums(0, NULL, tiles, (const float (*)[16]) scales, acts, K, d, NULL, blocks, m, acc);
            if (q4k) {
                const float (*sums)[16] = all_sums + (int64_t) tt * blocks;
                for (int b = 0; b < blocks; b++) {
                    const __m512 mn = _mm512_load_ps(mins[b]);
#pragma GCC unroll 16
                    for (int t = 0; t < 16; t++) {
                        if (t < m) acc[t] = _mm512_fnmadd_ps(mn, _mm512_set1_ps(sums[b][t]), acc[t]);
                    }
                }
            }
#pragma GCC unroll 16
            for (int t = 0; t < 16; t++) { /* unrolled, as every loop over acc: the sums stay in registers */
                if (t < m) _mm512_storeu_ps(out + (16 * tt + t) * out_stride + 16 * i, acc[t]);
            }
        }
    }
    _tile_release();
    free(tiles);
    free(scales);
    free(mins);
}

/* ---- expansion to floats (prefill: tiles of rows expanded for sgemm) ----
 * Every type is, per group of 16 values, y = scale * q (+ min for types with mins), q an 8-bit
 * integer: the unpackers below produce q, scale and min per block, and one loop turns them into
 * floats. The operations are those of Dequantize.java (a product, then a sum only where there is a
 * min), so the floats are bit for bit the same.
 */

static inline KERNEL void put32(unpacked_t *u, int at, __m256i q, float scale, float min) {
    _mm256_storeu_si256((__m256i *) (u->q + at), q);
    u->scale[at / 16] = u->scale[at / 16 + 1] = scale;
    u->min[at / 16] = u->min[at / 16 + 1] = min;
}

/* two sub-blocks of 16 in one 32-value vector */
static inline KERNEL void put16x2(unpacked_t *u, int at, __m256i q, float scale0, float scale1, float min0, float min1) {
    _mm256_storeu_si256((__m256i *) (u->q + at), q);
    u->scale[at / 16] = scale0;
    u->scale[at / 16 + 1] = scale1;
    u->min[at / 16] = min0;
    u->min[at / 16 + 1] = min1;
}

static KERNEL void unpack(int type, const uint8_t *w, unpacked_t *u) {
    const __m256i levels = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) IQ4_LEVELS));
    switch (type) {
        case Q8_0: put32(u, 0, load32(w + 2), half(w), 0); break;
        case Q4_0: put32(u, 0, _mm256_sub_epi8(nibbles32(w + 2), _mm256_set1_epi8(8)), half(w), 0); break;
        case Q4_1: put32(u, 0, nibbles32(w + 4), half(w), half(w + 2)); break;
        case Q5_0: put32(u, 0, _mm256_sub_epi8(_mm256_or_si256(nibbles32(w + 6), bits_to_bytes(w + 2, 0x10)), _mm256_set1_epi8(16)), half(w), 0); break;
        case Q5_1: put32(u, 0, _mm256_or_si256(nibbles32(w + 8), bits_to_bytes(w + 4, 0x10)), half(w), half(w + 2)); break;
        case IQ4_NL: put32(u, 0, _mm256_shuffle_epi8(levels, nibbles32(w + 2)), half(w), 0); break;
        case Q2_K: {
            float d = half(w + 80), dmin = half(w + 82);
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 4; j++) {
                    int s = 8 * h + 2 * j;
                    put16x2(u, 128 * h + 32 * j, q2k_values(w, h, j), d * (w[s] & 0x0F), d * (w[s + 1] & 0x0F),
                            -(dmin * (w[s] >> 4)), -(dmin * (w[s + 1] >> 4)));
                }
            }
            break;
        }
        case Q4_K: case Q5_K: {
            int five = type == Q5_K;
            float d = half(w), dmin = half(w + 2);
            const uint8_t *scales = w + 4, *qs = w + (five ? 48 : 16);
            __m256i high = five ? load32(w + 16) : _mm256_setzero_si256();
            for (int p = 0; p < 4; p++) {
                __m256i q0, q1;
                q45k_pair(qs, high, five, p, &q0, &q1);
                put32(u, 64 * p, q0, d * k_scale(scales, 2 * p), -(dmin * k_min(scales, 2 * p)));
                put32(u, 64 * p + 32, q1, d * k_scale(scales, 2 * p + 1), -(dmin * k_min(scales, 2 * p + 1)));
            }
            break;
        }
        case Q3_K: case Q6_K: { /* as dot_offset16 reads them */
            const int six = type == Q6_K;
            int8_t decoded[16];
            const int8_t *sc = (const int8_t *) (w + 192);
            if (!six) {
                q3k_scales(w + 96, decoded);
                sc = decoded;
            }
            float d = half(w + (six ? 208 : 108));
            __m256i offset = _mm256_set1_epi8(six ? 32 : 4);
            for (int h = 0; h < 2; h++) {
                half_vectors_t v = offset16_half(six, w, h);
                for (int j = 0; j < 4; j++) {
                    int s = 8 * h + 2 * j;
                    put16x2(u, 128 * h + 32 * j, _mm256_sub_epi8(offset16_values(six, v, h, j), offset), d * sc[s], d * sc[s + 1], 0, 0);
                }
            }
            break;
        }
        case IQ4_XS: {
            float d = half(w);
            int scalesH = w[2] | (w[3] << 8);
            for (int j = 0; j < 8; j++) {
                int ls = ((w[4 + j / 2] >> (4 * (j % 2))) & 0x0F) | (((scalesH >> (2 * j)) & 3) << 4);
                put32(u, 32 * j, _mm256_shuffle_epi8(levels, nibbles32(w + 8 + 16 * j)), d * (ls - 32), 0);
            }
            break;
        }
    }
}

/* types whose values carry a min (y = scale * q + min); the others are y = scale * q */
static int has_min(int type) {
    return type == Q4_1 || type == Q5_1 || type == Q2_K || type == Q4_K || type == Q5_K;
}


/* block b of row r of a repacked matrix (sl_group_rows's output) back in the file's layout, into `block` */
static void ungroup_block(int type, const uint8_t *groups, int cols, int r, int b, uint8_t *block) {
    const int blocks = cols / sl_activation_block(type), gb = group_block_bytes(type), h = sl_group_height(type), i = r % h;
    const uint8_t *g = groups + ((int64_t) (r / h) * blocks + b) * gb;
    if (type == Q4_K) {
        memcpy(block, g + 2 * i, 2);
        memcpy(block + 2, g + 16 + 2 * i, 2);
        uint8_t *s = block + 4;
        for (int j = 0; j < 4; j++) {
            int sc = g[32 + 8 * j + i], m = g[96 + 8 * j + i], sc4 = g[32 + 8 * (j + 4) + i], m4 = g[96 + 8 * (j + 4) + i];
            s[j] = (uint8_t) ((sc & 63) | ((sc4 >> 4) << 6));
            s[j + 4] = (uint8_t) ((m & 63) | ((m4 >> 4) << 6));
            s[j + 8] = (uint8_t) ((sc4 & 0x0F) | ((m4 & 0x0F) << 4));
        }
        for (int p = 0; p < 4; p++) {
            for (int c = 0; c < 4; c++) memcpy(block + 16 + 32 * p + 8 * c, g + 160 + 256 * p + 64 * c + 8 * i, 8);
        }
        return;
    }
    memcpy(block, g + 2 * i, 2);
    if (type == Q8_0) {
        for (int k = 0; k < 8; k++) {
            for (int j = 0; j < 4; j++) block[2 + 4 * k + j] = (uint8_t) (g[32 + 64 * k + 4 * i + j] ^ 0x80);
        }
    } else {
        for (int p = 0; p < 2; p++) memcpy(block + 2 + 8 * p, g + 16 + 64 * p + 8 * i, 8);
    }
}

/* one row's floats, from a row in the file's layout (w != NULL; row_bytes long) or from row r of a repacked matrix */
static KERNEL void dequantize_row(int type, const uint8_t *w, int64_t row_bytes, const uint8_t *groups, int r, int cols, float *y) {
    const int block = sl_activation_block(type), mins = has_min(type);
    const int64_t bytes = row_bytes / (cols / block); /* one block's bytes: the row is a whole number of them */
    uint8_t file_block[256];
    unpacked_t u;
    for (int b = 0; b < cols / block; b++, y += block) {
        const uint8_t *at = w + (int64_t) b * bytes;
        if (w == NULL) {
            ungroup_block(type, groups, cols, r, b, file_block);
            at = file_block;
        }
        unpack(type, at, &u);
        for (int g = 0; g < block / 16; g++) {
            __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (u.q + 16 * g))));
            __m512 v = _mm512_mul_ps(q, _mm512_set1_ps(u.scale[g]));
            if (mins) v = _mm512_add_ps(v, _mm512_set1_ps(u.min[g]));
            _mm512_storeu_ps(y + 16 * g, v);
        }
    }
}

/* rows [r0, r1) of w as floats: row r at dst + (r - r0) * dst_stride */
KERNEL void sl_dequantize(int type, const uint8_t *w, int64_t row_bytes, int cols, int r0, int r1, float *dst, int64_t dst_stride) {
    for (int r = r0; r < r1; r++) dequantize_row(type, w + (int64_t) r * row_bytes, row_bytes, NULL, r, cols, dst + (int64_t) (r - r0) * dst_stride);
}

/* the same from a repacked matrix (groups: sl_group_rows's output), so that prefill does not read the file's pages again */
KERNEL void sl_dequantize_grouped(int type, const uint8_t *groups, int64_t row_bytes, int cols, int r0, int r1, float *dst, int64_t dst_stride) {
    for (int r = r0; r < r1; r++) dequantize_row(type, NULL, row_bytes, groups, r, cols, dst + (int64_t) (r - r0) * dst_stride);
}
