// ggml GEMV peer for ternary4j's kernel benchmark; scripts/build-ggml-peer.sh builds it against ggml outside the repository.
// usage: peer ROWS COLS THREADS ; prints "tq2_0 <median us>", "tq1_0 <median us>" and "f32 <median us>".
#include "ggml.h"
#include "ggml-cpu.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double bench(enum ggml_type type, int rows, int cols, int threads) {
    size_t row_bytes = ggml_row_size(type, cols), w_bytes = row_bytes * rows;
    int copies = (int)((128u << 20) / w_bytes) + 1; if (copies < 2) copies = 2;
    size_t mem = (size_t)copies * (w_bytes + 4 * (size_t)(rows + cols) + 4096) + 64 * 1024 * 1024;
    struct ggml_init_params ip = { mem, NULL, false };
    struct ggml_context *ctx = ggml_init(ip);
    float *src = malloc(sizeof(float) * (size_t)rows * cols);
    srand(1);
    for (size_t i = 0; i < (size_t)rows * cols; i++) { int r = rand() % 3; src[i] = (r - 1) * 0.02f; }
    struct ggml_tensor *x = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, cols);
    for (int i = 0; i < cols; i++) ((float *)x->data)[i] = (float)((rand() % 2001) - 1000) / 1000.0f;
    struct ggml_cgraph **g = malloc(sizeof(*g) * copies);
    for (int c = 0; c < copies; c++) {
        struct ggml_tensor *w = ggml_new_tensor_2d(ctx, type, cols, rows);
        if (type == GGML_TYPE_F32) memcpy(w->data, src, w_bytes);
        else ggml_quantize_chunk(type, src, w->data, 0, rows, cols, NULL);
        struct ggml_tensor *y = ggml_mul_mat(ctx, w, x);
        g[c] = ggml_new_graph(ctx);
        ggml_build_forward_expand(g[c], y);
    }
    int warm = 200, n = 101;
    if (type == GGML_TYPE_F32) { warm = 30; n = 51; }
    for (int i = 0; i < warm; i++) ggml_graph_compute_with_ctx(ctx, g[i % copies], threads);
    double *t = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) { double t0 = now_us(); ggml_graph_compute_with_ctx(ctx, g[(warm + i) % copies], threads); t[i] = now_us() - t0; }
    qsort(t, n, sizeof(double), cmp);
    double med = t[n / 2];
    free(t); free(g); free(src); ggml_free(ctx);
    return med;
}
int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s ROWS COLS THREADS\n", argv[0]); return 2; }
    int rows = atoi(argv[1]), cols = atoi(argv[2]), threads = atoi(argv[3]);
    ggml_cpu_init();
    printf("tq2_0 %.1f\n", bench(GGML_TYPE_TQ2_0, rows, cols, threads));
    printf("tq1_0 %.1f\n", bench(GGML_TYPE_TQ1_0, rows, cols, threads));
    printf("f32 %.1f\n", bench(GGML_TYPE_F32, rows, cols, threads));
    return 0;
}
