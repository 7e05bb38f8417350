/* config.json and quantization_config / quantize_config.json readers. */
#include "fuzz_util.h"

#include "config/hf_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag d = {0};
    struct hf_config c;
    struct hf_quant_config q;
    hf_config_parse((const char *)data, size, "fuzz", &c, &d);
    hf_quant_config_parse((const char *)data, size, "fuzz", &q, &d);
    return 0;
}
