#include "plugin/suite.h"

#include <string.h>

extern const struct suite suite_osft, suite_balance, suite_quant, suite_gptq;

static const struct suite *const registry[] = {
    &suite_osft,
    &suite_balance,
    &suite_quant,
    &suite_gptq,
};

size_t suite_count(void) { return sizeof registry / sizeof registry[0]; }

const struct suite *suite_at(size_t i) { return i < suite_count() ? registry[i] : NULL; }

const struct suite *suite_find(const char *name)
{
    for (size_t i = 0; i < suite_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
