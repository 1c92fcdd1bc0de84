// Reads a GGUF file with ggml's own gguf reader and dequantizes every tensor with ggml's own type
// traits (to_float), so the project's GGUF writer and TQ2_0/TQ1_0 encoders can be checked bit for
// bit against the engine that will load them. Built outside the repository by
// scripts/build-gguf-check.sh.
//   gguf_check [--dump] FILE
// Prints "gguf version V alignment A kv N tensors M", one "kv KEY TYPE [VALUE]" line per key, one
// "tensor NAME TYPE NE0,NE1,.. OFFSET" line per tensor, then per tensor either "values NAME" and
// the float bit patterns in hex (--dump) or "fnv NAME HASH" over those bit patterns.
// Exits 1 with a message when ggml cannot read the file or a type has no dequantizer.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"

static void print_kv(const struct gguf_context * g, int64_t i) {
    enum gguf_type t = gguf_get_kv_type(g, i);
    printf("kv %s %s", gguf_get_key(g, i), gguf_type_name(t));
    switch (t) {
        case GGUF_TYPE_UINT32: printf(" %" PRIu32, gguf_get_val_u32(g, i)); break;
        case GGUF_TYPE_INT32:  printf(" %" PRId32, gguf_get_val_i32(g, i)); break;
        case GGUF_TYPE_UINT64: printf(" %" PRIu64, gguf_get_val_u64(g, i)); break;
        case GGUF_TYPE_FLOAT32: printf(" %.9g", (double) gguf_get_val_f32(g, i)); break;
        case GGUF_TYPE_BOOL:   printf(" %d", gguf_get_val_bool(g, i) ? 1 : 0); break;
        case GGUF_TYPE_STRING: printf(" %s", gguf_get_val_str(g, i)); break;
        case GGUF_TYPE_ARRAY:  printf(" %s[%zu]", gguf_type_name(gguf_get_arr_type(g, i)), gguf_get_arr_n(g, i)); break;
        default: break;
    }
    printf("\n");
}

int main(int argc, char ** argv) {
    int dump = argc == 3 && strcmp(argv[1], "--dump") == 0;
    if (argc != 2 + dump) {
        fprintf(stderr, "usage: gguf_check [--dump] FILE\n");
        return 2;
    }
    const char * file = argv[1 + dump];
    struct ggml_context * data = NULL;
    struct gguf_init_params params = { /*.no_alloc =*/ false, /*.ctx =*/ &data };
    struct gguf_context * g = gguf_init_from_file(file, params);
    if (g == NULL) {
        fprintf(stderr, "gguf_check: %s: ggml's gguf reader refused the file\n", file);
        return 1;
    }
    int64_t n_kv = gguf_get_n_kv(g), n_t = gguf_get_n_tensors(g);
    printf("gguf version %" PRIu32 " alignment %zu kv %" PRId64 " tensors %" PRId64 "\n",
           gguf_get_version(g), gguf_get_alignment(g), n_kv, n_t);
    for (int64_t i = 0; i < n_kv; i++) print_kv(g, i);
    for (int64_t i = 0; i < n_t; i++) {
        const struct ggml_tensor * t = ggml_get_tensor(data, gguf_get_tensor_name(g, i));
        printf("tensor %s %s ", t->name, ggml_type_name(t->type));
        for (int d = 0; d < ggml_n_dims(t); d++) printf(d ? ",%" PRId64 : "%" PRId64, t->ne[d]);
        printf(" %zu\n", gguf_get_tensor_offset(g, i));
    }
    for (int64_t i = 0; i < n_t; i++) {
        const struct ggml_tensor * t = ggml_get_tensor(data, gguf_get_tensor_name(g, i));
        int64_t n = ggml_nelements(t);
        float * v = malloc((size_t) n * sizeof(float));
        if (t->type == GGML_TYPE_F32) {
            memcpy(v, t->data, (size_t) n * sizeof(float));
        } else {
            const struct ggml_type_traits * tr = ggml_get_type_traits(t->type);
            if (tr->to_float == NULL) {
                fprintf(stderr, "gguf_check: %s: tensor %s: ggml has no dequantizer for %s\n", file, t->name, ggml_type_name(t->type));
                return 1;
            }
            tr->to_float(t->data, v, n);
        }
        uint64_t h = 1469598103934665603ULL;
        if (dump) printf("values %s", t->name);
        for (int64_t k = 0; k < n; k++) {
            uint32_t bits;
            memcpy(&bits, &v[k], 4);
            if (dump) printf(" %08" PRIx32, bits);
            for (int b = 0; b < 4; b++) h = (h ^ ((bits >> (8 * b)) & 0xff)) * 1099511628211ULL;
        }
        if (dump) printf("\n"); else printf("fnv %s %016" PRIx64 "\n", t->name, h);
        free(v);
    }
    gguf_free(g);
    ggml_free(data);
    return 0;
}
