/*
 * Attention over a Q8_0 KV cache (sortedllama.tensor.Int8Kv's layout), called per (run of up to 4 consecutive
 * rows of one sequence, head) from sortedllama.model.KVCache. Why C: the batch's attention reads every sequence's keys and values from
 * DRAM at every step (the weights that pass through in between evict them), in short runs of a few KiB per
 * head that the hardware prefetcher does not ramp up for; prefetch instructions, which the Vector API does not
 * offer, ask for them ahead. The arithmetic is Int8Kv's and Vec's, operation for operation (each float
 * operation exactly rounded, in the same order), so a position gets the same bits here and in the Java loops.
 */
#include <immintrin.h>
#include <stdint.h>

#define ATTN __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl")))
#define KEYS 16   /* keys per block: Int8Kv.KEYS_PER_BLOCK */
#define GROUP 32  /* values per scale: Int8Kv.GROUP */
/* key bytes asked for ahead of the block being read: two blocks at head dimension 64 */
#define KEYS_AHEAD 2048

/* Vec.exp, lane for lane (lanes below lo computed on 0, then zeroed: computed on lo, their result is subnormal, which is slow) */
ATTN static inline __m512 vexp(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.33654f), hi = _mm512_set1_ps(88.37626f), rounder = _mm512_set1_ps(12582912.0f);
    const __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
    __m512 xc = _mm512_min_ps(_mm512_max_ps(_mm512_mask_blend_ps(under, x, _mm512_setzero_ps()), lo), hi);
    __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504088896341f), rounder), rounder);
    __m512 r = _mm512_sub_ps(xc, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(1.9875691500e-4f), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
    __m512 result = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
    return _mm512_mask_blend_ps(under, result, _mm512_setzero_ps());
}

ATTN static inline __m512 widen(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) p)));
}

/* queries whose keys and values are widened to floats once for all of them (a prompt chunk's rows) */
#define QUERIES 4

/*
 * Queries j < m (m a constant, inlined) against key block p: scores[j][p..p+16) = q_j . keys p..p+15
 * (Int8Kv.dots16, operation for operation). Each key line is widened once and multiplied into every query.
 */
ATTN static inline __attribute__((always_inline)) void block_scores(const int m, const float *const *q, const int8_t *b,
                                                                     const float *d, int groups, float *const *scores, int p) {
    __m512 total[QUERIES];
    for (int j = 0; j < m; j++) total[j] = _mm512_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m512 even[QUERIES], odd[QUERIES];
        for (int j = 0; j < m; j++) even[j] = odd[j] = _mm512_setzero_ps();
        for (int i = g * GROUP; i < (g + 1) * GROUP; i += 2) {
            const __m512 k0 = widen(b + KEYS * i), k1 = widen(b + KEYS * (i + 1));
            for (int j = 0; j < m; j++) {
                even[j] = _mm512_fmadd_ps(k0, _mm512_set1_ps(q[j][i]), even[j]);
                odd[j] = _mm512_fmadd_ps(k1, _mm512_set1_ps(q[j][i + 1]), odd[j]);
            }
        }
        for (int j = 0; j < m; j++) total[j] = _mm512_fmadd_ps(_mm512_add_ps(even[j], odd[j]), _mm512_loadu_ps(d + g * KEYS), total[j]);
    }
    for (int j = 0; j < m; j++) _mm512_storeu_ps(scores[j] + p, total[j]);
}

/* scores[0..visible) = softmax(scale * scores) (the scaling, then Vec.softmax: the max, exp of the shifted scores summed lane by lane in one vector, times 1 / sum) */
ATTN static void scaled_softmax(float *scores, int visible, float scale) {
    for (int p = 0; p < visible; p++) scores[p] *= scale;
    __m512 m = _mm512_set1_ps(-__builtin_inff());
    int i = 0;
    for (; i + 16 <= visible; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(scores + i));
    float shift = _mm512_reduce_max_ps(m);
    for (; i < visible; i++) shift = scores[i] > shift ? scores[i] : shift;
    __m512 acc = _mm512_setzero_ps();
    for (i = 0; i + 16 <= visible; i += 16) {
        __m512 e = vexp(_mm512_sub_ps(_mm512_loadu_ps(scores + i), _mm512_set1_ps(shift)));
        _mm512_storeu_ps(scores + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < visible) {
        __mmask16 k = (__mmask16) ((1u << (visible - i)) - 1);
        __m512 e = vexp(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, scores + i), _mm512_set1_ps(shift)));
        _mm512_mask_storeu_ps(scores + i, k, e);
        acc = _mm512_mask_add_ps(acc, k, acc, e);
    }
    float lanes[16], sum = 0;
    _mm512_storeu_ps(lanes, acc);
    for (int l = 0; l < 16; l++) sum += lanes[l];
    float inv = 1.0f / sum;
    for (i = 0; i < visible; i++) scores[i] *= inv;
}

/*
 * out_j[0..head_dim) = the values weighted by weights_j (Int8Kv.weightedSum), query j < m seeing `first + j` positions:
 * each value line is widened once for every query that sees it, and each query's sums run over its positions in order.
 */
ATTN static inline __attribute__((always_inline)) void weighted_values(const int m, const int8_t *values, const float *vscales, int groups,
                                                                        int head_dim, int first, float *const *weights, float *const *out) {
    for (int g = 0; g < groups; g++) {
        __m512 a0[QUERIES], a1[QUERIES];
        for (int j = 0; j < m; j++) a0[j] = a1[j] = _mm512_setzero_ps();
        const int8_t *x = values + g * GROUP;
        for (int p = 0; p < first + m - 1; p++, x += head_dim) {
            const __m512 v0 = widen(x), v1 = widen(x + 16);
            const float vs = vscales[(int64_t) p * groups + g];
            for (int j = 0; j < m; j++) {
                if (p >= first + j) continue; /* past query j's last position: only in the last m - 1 */
                __m512 wp = _mm512_set1_ps(weights[j][p] * vs);
                a0[j] = _mm512_fmadd_ps(v0, wp, a0[j]);
                a1[j] = _mm512_fmadd_ps(v1, wp, a1[j]);
            }
        }
        for (int j = 0; j < m; j++) {
            _mm512_storeu_ps(out[j] + g * GROUP, a0[j]);
            _mm512_storeu_ps(out[j] + g * GROUP + 16, a1[j]);
        }
    }
}

/* m queries (a constant, inlined) of sl_attend_q8, query j seeing first + j positions */
ATTN static inline __attribute__((always_inline)) void attend_queries(const int m, const float *const *q, const int8_t *keys, const float *kscales,
                                                                       const int8_t *values, const float *vscales, int first, int head_dim,
                                                                       int64_t next_head, float scale, float *const *scores, float *const *out) {
    int groups = head_dim / GROUP, visible = first + m - 1, rounded = (visible + KEYS - 1) / KEYS * KEYS;
    int64_t key_bytes = (int64_t) rounded * head_dim, block_bytes = (int64_t) KEYS * head_dim, scale_bytes = KEYS * groups * 4;
    /* scores, 16 keys at a time, asking for the keys ahead and for the values of these keys */
    for (int p = 0; p < visible; p += KEYS) {
        int64_t ahead = (int64_t) p * head_dim + KEYS_AHEAD;
        if (ahead < key_bytes) {
            for (int64_t o = 0; o < block_bytes; o += 64) _mm_prefetch((const char *) keys + ahead + o, _MM_HINT_T0);
            for (int o = 0; o < scale_bytes; o += 64) _mm_prefetch((const char *) (kscales + ahead / head_dim * groups) + o, _MM_HINT_T0);
        }
        int rows = visible - p < KEYS ? visible - p : KEYS;
        for (int64_t o = 0; o < (int64_t) rows * head_dim; o += 64) _mm_prefetch((const char *) (values + (int64_t) p * head_dim) + o, _MM_HINT_T0);
        for (int o = 0; o < rows * groups * 4; o += 64) _mm_prefetch((const char *) (vscales + (int64_t) p * groups) + o, _MM_HINT_T0);
        if (next_head > 0) { /* the same block of the next head, into L2: the call after this one reads it */
            const char *nk = (const char *) (keys + (next_head + p) * head_dim), *nv = (const char *) (values + (next_head + p) * head_dim);
            for (int64_t o = 0; o < block_bytes; o += 64) _mm_prefetch(nk + o, _MM_HINT_T1);
            for (int64_t o = 0; o < (int64_t) rows * head_dim; o += 64) _mm_prefetch(nv + o, _MM_HINT_T1);
            for (int o = 0; o < scale_bytes; o += 64) _mm_prefetch((const char *) (kscales + (next_head + p) * groups) + o, _MM_HINT_T1);
            for (int o = 0; o < rows * groups * 4; o += 64) _mm_prefetch((const char *) (vscales + (next_head + p) * groups) + o, _MM_HINT_T1);
        }
        block_scores(m, q, keys + (int64_t) p * head_dim, kscales + (int64_t) p * groups, groups, scores, p);
    }
    for (int j = 0; j < m; j++) scaled_softmax(scores[j], first + j, scale);
    weighted_values(m, values, vscales, groups, head_dim, first, scores, out);
}

/*
 * Attention of n consecutive positions of one sequence on one head: query j (at q + j * q_stride) sees positions
 * 0 .. first + j - 1, and out + j * out_stride gets softmax(scale * (q_j . key p)) weighted sum of values p. Each
 * query gets the same operations in the same order whatever n is (the bits of Int8Kv.dots16, the scaling,
 * Vec.softmax and Int8Kv.weightedSum); up to QUERIES at a time share the widening of each key and value to floats,
 * which is most of the work: a prompt chunk's rows go QUERIES at a time, a decoding row alone.
 * keys: the head's blocks (byte 16 i + k of a block: value i of key k), kscales: 16 per group per block;
 * values: rows of head_dim bytes, vscales: head_dim / 32 per row; scores: QUERIES rows of score_stride floats,
 * score_stride at least first + n - 1 rounded up to 16. next_head > 0: the next call reads the next head, whose
 * keys, values and scales lie next_head positions further on; its blocks are asked for into L2 as these are read
 * (the keys and values come from DRAM at every step, and a call's first blocks waited for them).
 */
ATTN void sl_attend_q8(const float *q, int q_stride, int n, const int8_t *keys, const float *kscales, const int8_t *values,
                       const float *vscales, int first, int head_dim, int next_head, float scale, float *scores, int score_stride,
                       float *out, int out_stride) {
    for (int j0 = 0; j0 < n; j0 += QUERIES) {
        const float *qs[QUERIES];
        float *ss[QUERIES], *os[QUERIES];
        int m = n - j0 < QUERIES ? n - j0 : QUERIES;
        for (int j = 0; j < m; j++) {
            qs[j] = q + (int64_t) (j0 + j) * q_stride;
            ss[j] = scores + (int64_t) j * score_stride;
            os[j] = out + (int64_t) (j0 + j) * out_stride;
        }
        switch (m) {
            case 1: attend_queries(1, qs, keys, kscales, values, vscales, first + j0, head_dim, next_head, scale, ss, os); break;
            case 2: attend_queries(2, qs, keys, kscales, values, vscales, first + j0, head_dim, next_head, scale, ss, os); break;
            case 3: attend_queries(3, qs, keys, kscales, values, vscales, first + j0, head_dim, next_head, scale, ss, os); break;
            default: attend_queries(4, qs, keys, kscales, values, vscales, first + j0, head_dim, next_head, scale, ss, os);
        }
    }
}

/* one group of 32 values quantized as Int8Kv.quantize does: q = x * (127 / amax) rounded half away from zero, d = amax / 127 */
ATTN static inline float quantize_group(const float *x, int8_t q[GROUP]) {
    __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    /* Java's max propagates NaN, max_ps may not: a group with a NaN gets a NaN scale there too */
    if (_mm512_cmp_ps_mask(x0, x0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(x1, x1, _CMP_UNORD_Q)) amax = __builtin_nanf("");
    __m512 inv = _mm512_set1_ps(amax != 0 ? 127.0f / amax : 0.0f), half = _mm512_set1_ps(0.5f);
    for (int h = 0; h < 2; h++) {
        __m512 y = _mm512_mul_ps(h == 0 ? x0 : x1, inv);
        __m512i r = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_abs_ps(y), half));
        __mmask16 negative = _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_LT_OQ);
        r = _mm512_mask_sub_epi32(r, negative, _mm512_setzero_si512(), r);
        _mm_storeu_si128((__m128i *) (q + 16 * h), _mm512_cvtepi32_epi8(r)); /* NaN: cvtt gives 0x80000000, whose low byte is Java's 0 */
    }
    return amax / 127.0f;
}

/*
 * Position pos of every KV head of one layer, stored as KVCache stores a Q8_0 position (Int8Kv.quantizeColumn
 * for its key, Int8Kv.quantize for its value, the same bits): head h's positions start at h * run; a key goes
 * down column pos % 16 of its block of 16 positions (byte 16 i + lane), its scales at lane + 16 g of the block's.
 * Why here: a decoding step writes 4 bytes into each of a key's 16 lines per head, lines the weights streamed
 * since its last step have evicted, so each store waited for its line from DRAM, one after another (4-7 us a
 * position and layer in the batch, against 1-1.5 when they stayed in cache). Every line is asked for first,
 * for writing, so that they arrive together while the values are quantized.
 */
ATTN __attribute__((target("prfchw"))) void sl_store_q8(const float *k, const float *v, int heads, int head_dim, int run, int pos,
                                                         int8_t *keys, float *kscales, int8_t *values, float *vscales) {
    int groups = head_dim / GROUP, lane = pos % KEYS;
    for (int h = 0; h < heads; h++) {
        int64_t block = (int64_t) h * run + pos - lane, row = (int64_t) h * run + pos;
        for (int o = 0; o < KEYS * head_dim; o += 64) __builtin_prefetch(keys + block * head_dim + o, 1, 3);
        for (int g = 0; g < groups; g++) __builtin_prefetch(kscales + block * groups + KEYS * g + lane, 1, 3);
        __builtin_prefetch(values + row * head_dim, 1, 3);
        __builtin_prefetch(values + row * head_dim + head_dim - 1, 1, 3);
        __builtin_prefetch(vscales + row * groups, 1, 3);
    }
    int8_t q[GROUP];
    for (int h = 0; h < heads; h++) {
        int64_t block = (int64_t) h * run + pos - lane, row = (int64_t) h * run + pos;
        for (int g = 0; g < groups; g++) {
            vscales[row * groups + g] = quantize_group(v + h * head_dim + g * GROUP, values + row * head_dim + g * GROUP);
            kscales[block * groups + KEYS * g + lane] = quantize_group(k + h * head_dim + g * GROUP, q);
            int8_t *column = keys + block * head_dim + (int64_t) KEYS * g * GROUP + lane;
            for (int i = 0; i < GROUP; i++) column[KEYS * i] = q[i];
        }
    }
}
