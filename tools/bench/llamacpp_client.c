/*
 * llamacpp_client: a small command-line client of llama.cpp's public C API (llama.h), used to
 * write reference files and to benchmark llama.cpp beside sorted-llama on the same GGUF files.
 *
 * Written for sorted-llama against llama.h only; built by tools/bench/build_llamacpp_client.sh.
 *
 *   quantize IN.gguf OUT.gguf RECIPE [threads]
 *   nll      MODEL.gguf IDS_FILE [--threads N]
 *   greedy   MODEL.gguf "ID ID ..." N [--threads N]
 *   bench    MODEL.gguf [--threads N] [--decode T] [--prefill P] [--runs R] [--prompt K]
 *   info
 *
 * Results are one JSON object on stdout; diagnostics go to stderr; bad input exits with 2,
 * a llama.cpp failure with 1. llama.cpp's own log is silenced unless LLAMACPP_CLIENT_VERBOSE=1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

/* ---------- small helpers ---------- */

static void die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "llamacpp_client: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(code);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static long parse_long(const char *s, const char *what, long min) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min) {
        die(2, "bad %s: '%s' (an integer >= %ld)", what, s, min);
    }
    return v;
}

/* Prints a string as a JSON string literal. */
static void json_str(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            putchar('\\');
            putchar(*p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void) user;
    if (level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

/* Peak resident set of this process in bytes: VmHWM, else getrusage's maximum. */
static long long peak_rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f != NULL) {
        char line[256];
        while (fgets(line, sizeof line, f) != NULL) {
            long long kb;
            if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) {
                fclose(f);
                return kb * 1024LL;
            }
        }
        fclose(f);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (long long) ru.ru_maxrss * 1024LL;
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long) st.st_size : -1;
}

/* Loads the CPU backends that sit beside the ggml library this program is linked to. */
static void init_backends(void) {
    if (getenv("LLAMACPP_CLIENT_VERBOSE") == NULL) {
        llama_log_set(quiet_log, NULL);
        ggml_log_set(quiet_log, NULL);
    }
    Dl_info info;
    const char *dir_env = getenv("LLAMACPP_LIB_DIR");
    if (dir_env != NULL && *dir_env) {
        ggml_backend_load_all_from_path(dir_env);
    } else if (dladdr((void *) &ggml_backend_load_all_from_path, &info) != 0 && info.dli_fname != NULL) {
        char *copy = strdup(info.dli_fname);
        ggml_backend_load_all_from_path(dirname(copy));
        free(copy);
    } else {
        ggml_backend_load_all();
    }
    llama_backend_init();
    if (ggml_backend_dev_count() == 0) {
        die(1, "no ggml backend could be loaded (set LLAMACPP_LIB_DIR to the folder of libggml-cpu-*.so)");
    }
}

static struct llama_model *load_model(const char *path, double *seconds) {
    if (file_size(path) < 0) {
        die(2, "no such model file: %s", path);
    }
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    double t0 = now_s();
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (seconds != NULL) {
        *seconds = now_s() - t0;
    }
    if (model == NULL) {
        die(1, "llama.cpp could not load %s", path);
    }
    return model;
}

static struct llama_context *make_context(struct llama_model *model, int n_ctx, int n_batch, int n_ubatch,
                                          int threads) {
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) n_ctx;
    if (n_batch > 0) cp.n_batch = (uint32_t) n_batch;
    if (n_ubatch > 0) cp.n_ubatch = (uint32_t) n_ubatch;
    cp.n_seq_max = 1;
    if (threads > 0) {
        cp.n_threads = threads;
        cp.n_threads_batch = threads;
    }
    cp.no_perf = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (ctx == NULL) {
        die(1, "llama.cpp could not create a context (n_ctx %d)", n_ctx);
    }
    return ctx;
}

/* Fills a batch with tokens at positions pos0.., sequence 0; logits for all or only the last. */
static void fill_batch(struct llama_batch *b, const llama_token *ids, int n, int pos0, int all_logits) {
    b->n_tokens = n;
    for (int i = 0; i < n; i++) {
        b->token[i] = ids[i];
        b->pos[i] = pos0 + i;
        b->n_seq_id[i] = 1;
        b->seq_id[i][0] = 0;
        b->logits[i] = (int8_t) (all_logits || i == n - 1);
    }
}

static llama_token argmax(const float *logits, int n_vocab) {
    int best = 0;
    for (int i = 1; i < n_vocab; i++) {
        if (logits[i] > logits[best]) best = i;
    }
    return best;
}

/* Reads whitespace-separated token ids from text; returns a malloc'd array. */
static llama_token *parse_ids(const char *text, int *n_out) {
    int cap = 64, n = 0;
    llama_token *ids = malloc(sizeof *ids * cap);
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno != 0 || v < 0 || v > 0x7fffffff) {
            die(2, "bad token id near '%.20s'", p);
        }
        if (n == cap) {
            cap *= 2;
            ids = realloc(ids, sizeof *ids * cap);
        }
        ids[n++] = (llama_token) v;
        p = end;
    }
    *n_out = n;
    return ids;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) die(2, "cannot read %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void check_ids(const struct llama_model *model, const llama_token *ids, int n) {
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= n_vocab) {
            die(2, "token id %d at %d is outside the vocabulary (%d tokens)", ids[i], i, n_vocab);
        }
    }
}

/* Option parsing: "--name value" pairs after the positional arguments. */
static int opt_int(int argc, char **argv, int first, const char *name, int def, int min) {
    int v = def;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            if (i + 1 >= argc) die(2, "%s needs a value", name);
            v = (int) parse_long(argv[i + 1], name, min);
            i++;
        }
    }
    return v;
}

static void check_opts(int argc, char **argv, int first, const char *const *known) {
    for (int i = first; i < argc; i++) {
        int ok = 0;
        for (const char *const *k = known; *k; k++) {
            if (strcmp(argv[i], *k) == 0) ok = 1;
        }
        if (!ok) die(2, "unknown option: %s", argv[i]);
        i++; /* skip the value */
    }
}

/* ---------- quantize ---------- */

struct recipe {
    const char *name;
    enum llama_ftype ftype;
};

static const struct recipe RECIPES[] = {
    {"F32", LLAMA_FTYPE_ALL_F32},         {"F16", LLAMA_FTYPE_MOSTLY_F16},
    {"BF16", LLAMA_FTYPE_MOSTLY_BF16},    {"Q8_0", LLAMA_FTYPE_MOSTLY_Q8_0},
    {"Q4_0", LLAMA_FTYPE_MOSTLY_Q4_0},    {"Q4_1", LLAMA_FTYPE_MOSTLY_Q4_1},
    {"Q5_0", LLAMA_FTYPE_MOSTLY_Q5_0},    {"Q5_1", LLAMA_FTYPE_MOSTLY_Q5_1},
    {"Q2_K", LLAMA_FTYPE_MOSTLY_Q2_K},    {"Q3_K_S", LLAMA_FTYPE_MOSTLY_Q3_K_S},
    {"Q3_K_M", LLAMA_FTYPE_MOSTLY_Q3_K_M}, {"Q3_K_L", LLAMA_FTYPE_MOSTLY_Q3_K_L},
    {"Q4_K_S", LLAMA_FTYPE_MOSTLY_Q4_K_S}, {"Q4_K_M", LLAMA_FTYPE_MOSTLY_Q4_K_M},
    {"Q5_K_S", LLAMA_FTYPE_MOSTLY_Q5_K_S}, {"Q5_K_M", LLAMA_FTYPE_MOSTLY_Q5_K_M},
    {"Q6_K", LLAMA_FTYPE_MOSTLY_Q6_K},    {"IQ4_NL", LLAMA_FTYPE_MOSTLY_IQ4_NL},
    {"IQ4_XS", LLAMA_FTYPE_MOSTLY_IQ4_XS},
};

static int cmd_quantize(int argc, char **argv) {
    if (argc < 5 || argc > 6) die(2, "usage: quantize IN.gguf OUT.gguf RECIPE [threads]");
    const char *in = argv[2], *out = argv[3], *name = argv[4];
    int threads = argc == 6 ? (int) parse_long(argv[5], "threads", 0) : 0;
    const struct recipe *r = NULL;
    for (size_t i = 0; i < sizeof RECIPES / sizeof RECIPES[0]; i++) {
        if (strcasecmp(RECIPES[i].name, name) == 0) r = &RECIPES[i];
    }
    if (r == NULL) {
        fprintf(stderr, "llamacpp_client: unknown recipe '%s'; one of:", name);
        for (size_t i = 0; i < sizeof RECIPES / sizeof RECIPES[0]; i++) fprintf(stderr, " %s", RECIPES[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    if (file_size(in) < 0) die(2, "no such input file: %s", in);
    init_backends();
    struct llama_model_quantize_params qp = llama_model_quantize_default_params();
    qp.nthread = threads;
    qp.ftype = r->ftype;
    double t0 = now_s();
    uint32_t rc = llama_model_quantize(in, out, &qp);
    double dt = now_s() - t0;
    if (rc != 0) die(1, "llama_model_quantize failed (%u) for %s -> %s as %s", rc, in, out, r->name);
    printf("{\"command\":\"quantize\",\"in\":");
    json_str(in);
    printf(",\"out\":");
    json_str(out);
    printf(",\"recipe\":\"%s\",\"ftype\":%d,\"seconds\":%.3f,\"in_bytes\":%lld,\"out_bytes\":%lld,\"system_info\":",
           r->name, (int) r->ftype, dt, file_size(in), file_size(out));
    json_str(llama_print_system_info());
    printf("}\n");
    llama_backend_free();
    return 0;
}

/* ---------- nll ---------- */

static int cmd_nll(int argc, char **argv) {
    if (argc < 4) die(2, "usage: nll MODEL.gguf IDS_FILE [--threads N]");
    static const char *const known[] = {"--threads", NULL};
    check_opts(argc, argv, 4, known);
    int threads = opt_int(argc, argv, 4, "--threads", 0, 1);
    char *text = read_file(argv[3]);
    int n;
    llama_token *ids = parse_ids(text, &n);
    free(text);
    if (n < 2) die(2, "%s holds %d ids; at least 2 are needed", argv[3], n);
    init_backends();
    struct llama_model *model = load_model(argv[2], NULL);
    check_ids(model, ids, n);
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    struct llama_context *ctx = make_context(model, n, n, n, threads);
    struct llama_batch b = llama_batch_init(n, 0, 1);
    fill_batch(&b, ids, n, 0, 1);
    if (llama_decode(ctx, b) != 0) die(1, "llama_decode failed");
    double *nll = malloc(sizeof(double) * (size_t) (n - 1));
    double sum = 0;
    for (int i = 0; i + 1 < n; i++) {
        const float *lg = llama_get_logits_ith(ctx, i);
        if (lg == NULL) die(1, "no logits at position %d", i);
        double mx = lg[0];
        for (int v = 1; v < n_vocab; v++) mx = lg[v] > mx ? lg[v] : mx;
        double z = 0;
        for (int v = 0; v < n_vocab; v++) z += exp((double) lg[v] - mx);
        nll[i] = -(((double) lg[ids[i + 1]] - mx) - log(z));
        sum += nll[i];
    }
    printf("{\"command\":\"nll\",\"model\":");
    json_str(argv[2]);
    printf(",\"n_ids\":%d,\"n_predicted\":%d,\"nll\":%.9f,\"per_position\":[", n, n - 1, sum / (n - 1));
    for (int i = 0; i + 1 < n; i++) printf("%s%.7f", i ? "," : "", nll[i]);
    printf("]}\n");
    free(nll);
    free(ids);
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}

/* ---------- greedy ---------- */

static int cmd_greedy(int argc, char **argv) {
    if (argc < 5) die(2, "usage: greedy MODEL.gguf \"ID ID ...\" N [--threads N]");
    static const char *const known[] = {"--threads", NULL};
    check_opts(argc, argv, 5, known);
    int threads = opt_int(argc, argv, 5, "--threads", 0, 1);
    int n_new = (int) parse_long(argv[4], "N", 0);
    int n;
    llama_token *prompt = parse_ids(argv[3], &n);
    if (n < 1) die(2, "the prompt needs at least one id");
    init_backends();
    struct llama_model *model = load_model(argv[2], NULL);
    check_ids(model, prompt, n);
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);
    struct llama_context *ctx = make_context(model, n + n_new + 8, n, n, threads);
    struct llama_batch b = llama_batch_init(n, 0, 1);
    fill_batch(&b, prompt, n, 0, 0);
    if (llama_decode(ctx, b) != 0) die(1, "llama_decode failed on the prompt");
    llama_token *out = malloc(sizeof *out * (size_t) (n_new + 1));
    int pos = n;
    for (int i = 0; i < n_new; i++) {
        llama_token t = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
        out[i] = t;
        if (i + 1 == n_new) break;
        fill_batch(&b, &t, 1, pos++, 1);
        if (llama_decode(ctx, b) != 0) die(1, "llama_decode failed at step %d", i);
    }
    printf("{\"command\":\"greedy\",\"model\":");
    json_str(argv[2]);
    printf(",\"prompt\":[");
    for (int i = 0; i < n; i++) printf("%s%d", i ? "," : "", prompt[i]);
    printf("],\"eos\":%d,\"eos_ignored\":true,\"greedy\":[", llama_vocab_eos(vocab));
    for (int i = 0; i < n_new; i++) printf("%s%d", i ? "," : "", out[i]);
    printf("]}\n");
    free(out);
    free(prompt);
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}

/* ---------- bench ---------- */

static int cmd_bench(int argc, char **argv) {
    if (argc < 3) die(2, "usage: bench MODEL.gguf [--threads N] [--decode T] [--prefill P] [--runs R] [--prompt K]");
    static const char *const known[] = {"--threads", "--decode", "--prefill", "--runs", "--prompt", NULL};
    check_opts(argc, argv, 3, known);
    int threads = opt_int(argc, argv, 3, "--threads", 0, 1);
    int n_decode = opt_int(argc, argv, 3, "--decode", 128, 0);
    int n_prefill = opt_int(argc, argv, 3, "--prefill", 256, 0);
    int runs = opt_int(argc, argv, 3, "--runs", 3, 1);
    int n_prompt = opt_int(argc, argv, 3, "--prompt", 1, 1);
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (int) cpus : 1;
    }

    init_backends();
    double load_s;
    struct llama_model *model = load_model(argv[2], &load_s);
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);

    int need = n_prompt + n_decode + 1;
    if (n_prefill > need) need = n_prefill;
    int n_ctx = ((need + 255) / 256) * 256;
    int n_batch = n_prefill > n_prompt ? n_prefill : n_prompt;
    if (n_batch < 512) n_batch = 512;
    double t_ctx = now_s();
    /* n_ubatch stays llama.cpp's default, as its own tools run prompts. */
    struct llama_context *ctx = make_context(model, n_ctx, n_batch, 0, threads);
    double ctx_s = now_s() - t_ctx;
    llama_memory_t mem = llama_get_memory(ctx);

    /* Token ids for the prompt and prefill: BOS, then a fixed spread over the vocabulary. */
    int n_ids = n_batch;
    llama_token *ids = malloc(sizeof *ids * (size_t) n_ids);
    llama_token bos = llama_vocab_bos(vocab);
    for (int i = 0; i < n_ids; i++) {
        ids[i] = (llama_token) ((1000 + (long) i * 7919) % n_vocab);
    }
    if (bos >= 0) ids[0] = bos;
    struct llama_batch b = llama_batch_init(n_batch, 0, 1);

    double best_decode = 0, best_prefill = 0;
    double *decode_runs = calloc((size_t) runs, sizeof(double));
    double *prefill_runs = calloc((size_t) runs, sizeof(double));
    /* Warm-up: a short prefill and a few decode steps, untimed. */
    for (int run = -1; run < runs; run++) {
        int warm = run < 0;
        int t_dec = warm ? (n_decode < 4 ? n_decode : 4) : n_decode;
        int t_pre = warm ? (n_prefill < 16 ? n_prefill : 16) : n_prefill;
        if (t_dec > 0) {
            llama_memory_clear(mem, true);
            fill_batch(&b, ids, n_prompt, 0, 0);
            if (llama_decode(ctx, b) != 0) die(1, "llama_decode failed on the prompt");
            int pos = n_prompt;
            double elapsed = 0;
            for (int i = 0; i < t_dec; i++) {
                llama_token t = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
                fill_batch(&b, &t, 1, pos++, 1);
                double t0 = now_s();
                if (llama_decode(ctx, b) != 0) die(1, "llama_decode failed at step %d", i);
                elapsed += now_s() - t0;
            }
            if (!warm) {
                decode_runs[run] = t_dec / elapsed;
                if (decode_runs[run] > best_decode) best_decode = decode_runs[run];
            }
        }
        if (t_pre > 0) {
            llama_memory_clear(mem, true);
            fill_batch(&b, ids, t_pre, 0, 0);
            double t0 = now_s();
            if (llama_decode(ctx, b) != 0) die(1, "llama_decode failed on the prefill of %d", t_pre);
            /* The logits of the last position are read, as a caller would. */
            (void) argmax(llama_get_logits_ith(ctx, -1), n_vocab);
            double elapsed = now_s() - t0;
            if (!warm) {
                prefill_runs[run] = t_pre / elapsed;
                if (prefill_runs[run] > best_prefill) best_prefill = prefill_runs[run];
            }
        }
    }

    char desc[256];
    llama_model_desc(model, desc, sizeof desc);
    printf("{\"command\":\"bench\",\"model\":");
    json_str(argv[2]);
    printf(",\"desc\":");
    json_str(desc);
    printf(",\"model_bytes\":%llu,\"n_params\":%llu,\"threads\":%d,\"n_ctx\":%d,\"n_batch\":%d,\"n_ubatch\":%u",
           (unsigned long long) llama_model_size(model), (unsigned long long) llama_model_n_params(model),
           threads, n_ctx, n_batch, llama_n_ubatch(ctx));
    printf(",\"load_s\":%.4f,\"context_s\":%.4f,\"decode_tokens\":%d,\"prompt_tokens\":%d,\"decode_tok_s\":%.3f",
           load_s, ctx_s, n_decode, n_prompt, best_decode);
    printf(",\"prefill_tokens\":%d,\"prefill_tok_s\":%.3f,\"runs\":%d", n_prefill, best_prefill, runs);
    printf(",\"decode_runs\":[");
    for (int i = 0; i < runs; i++) printf("%s%.3f", i ? "," : "", decode_runs[i]);
    printf("],\"prefill_runs\":[");
    for (int i = 0; i < runs; i++) printf("%s%.3f", i ? "," : "", prefill_runs[i]);
    printf("],\"peak_rss_bytes\":%lld,\"system_info\":", peak_rss_bytes());
    json_str(llama_print_system_info());
    printf("}\n");
    free(decode_runs);
    free(prefill_runs);
    free(ids);
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}

/* ---------- info ---------- */

static int cmd_info(void) {
    init_backends();
    printf("{\"command\":\"info\",\"system_info\":");
    json_str(llama_print_system_info());
    printf(",\"backends\":[");
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        if (i) putchar(',');
        json_str(ggml_backend_dev_description(ggml_backend_dev_get(i)));
    }
    printf("]}\n");
    llama_backend_free();
    return 0;
}

static void usage(FILE *to) {
    fprintf(to,
            "usage: llamacpp_client COMMAND ...\n"
            "  quantize IN.gguf OUT.gguf RECIPE [threads]\n"
            "      RECIPE: F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M\n"
            "              Q5_K_S Q5_K_M Q6_K IQ4_NL IQ4_XS\n"
            "  nll MODEL.gguf IDS_FILE [--threads N]     mean next-token NLL (nats) over the ids, one batch\n"
            "  greedy MODEL.gguf \"ID ID ...\" N [--threads N]   N greedy ids after the prompt (no BOS added)\n"
            "  bench MODEL.gguf [--threads N] [--decode T] [--prefill P] [--runs R] [--prompt K]\n"
            "  info                                      llama.cpp's system info and backends\n"
            "Output: JSON on stdout. LLAMACPP_CLIENT_VERBOSE=1 shows llama.cpp's log.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "quantize") == 0) return cmd_quantize(argc, argv);
    if (strcmp(cmd, "nll") == 0) return cmd_nll(argc, argv);
    if (strcmp(cmd, "greedy") == 0) return cmd_greedy(argc, argv);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc, argv);
    if (strcmp(cmd, "info") == 0) return cmd_info();
    fprintf(stderr, "llamacpp_client: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
