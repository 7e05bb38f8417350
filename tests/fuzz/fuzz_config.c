/* The YAML config loader, schema and every suite's configure, on any bytes. */
#include "fuzz_util.h"

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct run_config cfg;
    struct diag d = {0};
    config_load(path, NULL, 0, &cfg, &d);
    config_free(&cfg);
    close(fd);
    return 0;
}
