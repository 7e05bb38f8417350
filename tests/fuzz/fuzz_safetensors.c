/* The safetensors reader: the header length, the JSON header, dtypes,
 * shapes and offsets, then every tensor widened as a suite would read it. */
#include "fuzz_util.h"

#include <stdlib.h>

#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct st_file f;
    struct diag d = {0};
    if (st_open(path, &f, &d) == FR_OK) {
        for (size_t i = 0; i < f.n; i++) {
            const struct st_tensor *t = &f.tensors[i];
            if (!st_dtype_floating(t->dtype) || (size_t)t->numel > (1u << 20))
                continue;
            float *out = malloc((t->numel > 0 ? (size_t)t->numel : 1) * sizeof *out);
            if (out)
                st_to_f32(&f, t, out, &d);
            free(out);
        }
        st_meta_get(&f, "format");
        st_close(&f);
    }
    close(fd);
    return 0;
}
