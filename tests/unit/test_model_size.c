/* Model-size detection on names as they appear on model hubs and disks,
 * with the sizes written in them (or the families' published sizes where
 * none is written), and the tier boundaries. */
#include "testutil.h"

#include <math.h>

#include "config/model_size.h"

struct named {
    const char *name;
    double billions; /* 0: unknown */
    enum size_source source;
};

static const struct named cases[] = {
    /* plain sizes */
    {"7B", 7, SIZE_FROM_NAME},
    {"8b", 8, SIZE_FROM_NAME},
    {"14B", 14, SIZE_FROM_NAME},
    {"32b", 32, SIZE_FROM_NAME},
    {"70B", 70, SIZE_FROM_NAME},
    {"100B", 100, SIZE_FROM_NAME},
    {"405b", 405, SIZE_FROM_NAME},
    /* decimals */
    {"Qwen2.5-1.5B", 1.5, SIZE_FROM_NAME},
    {"0.5b", 0.5, SIZE_FROM_NAME},
    {"Qwen/Qwen2.5-0.5B-Instruct", 0.5, SIZE_FROM_NAME},
    {"deepseek-ai/deepseek-coder-6.7b-instruct", 6.7, SIZE_FROM_NAME},
    {"TinyLlama/TinyLlama-1.1B-Chat-v1.0", 1.1, SIZE_FROM_NAME},
    /* versions that are not sizes */
    {"meta-llama/llama-3.1-8b", 8, SIZE_FROM_NAME},
    {"mistralai/Mistral-7B-v0.1", 7, SIZE_FROM_NAME},
    {"mistralai/Mistral-7B-Instruct-v0.2", 7, SIZE_FROM_NAME},
    {"meta-llama/Llama-3.2-1B", 1, SIZE_FROM_NAME},
    {"meta-llama/Llama-3.2-3B-Instruct", 3, SIZE_FROM_NAME},
    {"meta-llama/Meta-Llama-3.1-405B-Instruct-FP8", 405, SIZE_FROM_NAME},
    {"meta-llama/Meta-Llama-3-70B-Instruct", 70, SIZE_FROM_NAME},
    {"meta-llama/Llama-2-13b-chat-hf", 13, SIZE_FROM_NAME},
    {"Qwen/Qwen2.5-72B-Instruct", 72, SIZE_FROM_NAME},
    {"Qwen/Qwen2.5-Coder-32B-Instruct", 32, SIZE_FROM_NAME},
    {"Qwen/Qwen1.5-110B-Chat", 110, SIZE_FROM_NAME},
    {"google/gemma-2-9b-it", 9, SIZE_FROM_NAME},
    {"google/gemma-2b", 2, SIZE_FROM_NAME},
    /* separators and case */
    {"mistral_7b", 7, SIZE_FROM_NAME},
    {"Mistral 7B Instruct", 7, SIZE_FROM_NAME},
    {"LLAMA-2-70B", 70, SIZE_FROM_NAME},
    {"llama 13 billion", 13, SIZE_FROM_NAME},
    {"falcon-40billion", 40, SIZE_FROM_NAME},
    {"my_model_7_billion", 7, SIZE_FROM_NAME},
    /* paths */
    {"./models/mistral-7b", 7, SIZE_FROM_NAME},
    {"/data/ckpt/Qwen2.5-14B-Instruct/", 14, SIZE_FROM_NAME},
    {"~/hf/hub/models--meta-llama--Llama-3.1-8B", 8, SIZE_FROM_NAME},
    /* several numbers */
    {"Qwen/Qwen2.5-14B-Instruct-1M", 14, SIZE_FROM_NAME},
    {"deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", 32, SIZE_FROM_NAME},
    {"deepseek-ai/deepseek-llm-67b-base", 67, SIZE_FROM_NAME},
    {"deepseek-ai/deepseek-coder-33b-instruct", 33, SIZE_FROM_NAME},
    {"TheBloke/Llama-2-70B-chat-GPTQ", 70, SIZE_FROM_NAME},
    {"llama-2-7b-chat.Q4_K_M.gguf", 7, SIZE_FROM_NAME},
    {"Qwen2.5-7B-Instruct-GPTQ-Int4", 7, SIZE_FROM_NAME},
    {"mistral-7b-4bit", 7, SIZE_FROM_NAME},
    /* mixtures: the published totals of known families (attention shared), else N x M as an upper bound */
    {"mistralai/Mixtral-8x7B-v0.1", 46.7, SIZE_FROM_NAME},
    {"mistralai/Mixtral-8x22B-Instruct-v0.1", 141, SIZE_FROM_NAME},
    {"someone/Frankenmoe-4x7B", 28, SIZE_UPPER_BOUND},
    {"mixtral-4x7b-merge", 28, SIZE_UPPER_BOUND},
    /* Hermes, Dolphin, NousResearch */
    {"NousResearch/Hermes-3-Llama-3.1-70B", 70, SIZE_FROM_NAME},
    {"NousResearch/Hermes-3-Llama-3.1-405B", 405, SIZE_FROM_NAME},
    {"NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO", 46.7, SIZE_FROM_NAME},
    {"NousResearch/Hermes-2-Pro-Mistral-7B", 7, SIZE_FROM_NAME},
    {"teknium/OpenHermes-2.5-Mistral-7B", 7, SIZE_FROM_NAME},
    {"cognitivecomputations/dolphin-2.9-llama3-8b", 8, SIZE_FROM_NAME},
    {"cognitivecomputations/dolphin-2.9.1-yi-1.5-34b", 34, SIZE_FROM_NAME},
    {"cognitivecomputations/dolphin-2.5-mixtral-8x7b", 46.7, SIZE_FROM_NAME},
    {"NousResearch/Meta-Llama-3-8B-Instruct", 8, SIZE_FROM_NAME},
    /* millions */
    {"HuggingFaceTB/SmolLM-135M", 0.135, SIZE_FROM_NAME},
    {"bigscience/bloom-560m", 0.56, SIZE_FROM_NAME},
    {"facebook/opt-1.3b", 1.3, SIZE_FROM_NAME},
    {"tiiuae/falcon-180B", 180, SIZE_FROM_NAME},
    /* families without a size in the name: guessed */
    {"microsoft/phi-2", 2.7, SIZE_GUESSED},
    {"phi2", 2.7, SIZE_GUESSED},
    {"microsoft/Phi-3-mini-4k-instruct", 3.8, SIZE_GUESSED},
    {"qwen", 7, SIZE_GUESSED},
    {"llama3", 8, SIZE_GUESSED},
    {"Mistral", 7, SIZE_GUESSED},
    {"mistralai/Mistral-Nemo-Instruct-2407", 7, SIZE_GUESSED},
    {"gpt2", 0.124, SIZE_GUESSED},
    {"openai-community/gpt2-medium", 0.355, SIZE_GUESSED},
    {"gpt2_large", 0.774, SIZE_GUESSED},
    {"gpt2-xl", 1.5, SIZE_GUESSED},
    {"deepseek-ai/DeepSeek-V3", 671, SIZE_GUESSED},
    {"deepseek-ai/DeepSeek-R1", 671, SIZE_GUESSED},
    {"deepseek-ai/DeepSeek-V2-Lite", 15.7, SIZE_GUESSED},
    {"bert-base-uncased", 0.11, SIZE_GUESSED},
    {"bert-large-cased", 0.34, SIZE_GUESSED},
    {"FacebookAI/roberta-base", 0.125, SIZE_GUESSED},
    {"distilbert-base-uncased", 0.066, SIZE_GUESSED},
    {"sentence-transformers/all-MiniLM-L6-v2", 0.0227, SIZE_GUESSED},
    /* the HuggingFace cache: models--Org--Name/snapshots/HASH */
    {"/root/.cache/huggingface/hub/models--Qwen--Qwen2.5-1.5B/snapshots/8faed761d45a2633", 1.5, SIZE_FROM_NAME},
    {"hub/models--mistralai--Mixtral-8x7B-v0.1/snapshots/abc/", 46.7, SIZE_FROM_NAME},
    {"models--openai-community--gpt2", 0.124, SIZE_GUESSED},
    /* unknown stays unknown */
    {"", 0, SIZE_UNKNOWN},
    {"b", 0, SIZE_UNKNOWN},
    {"model-b", 0, SIZE_UNKNOWN},
    {"snapshots/abc", 0, SIZE_UNKNOWN},
    {"7 b", 0, SIZE_UNKNOWN},
    {"model-1e3b", 3, SIZE_FROM_NAME}, /* no exponents: "3b" after the letter e */
};

static void test_names(void **state)
{
    (void)state;
    size_t n = sizeof cases / sizeof cases[0];
    assert_true(n >= 60);
    for (size_t i = 0; i < n; i++) {
        struct model_size m = model_size_from_name(cases[i].name);
        if (fabs(m.billions - cases[i].billions) > 1e-9 || m.source != cases[i].source)
            fail_msg("'%s': %g (%s), expected %g (%s)", cases[i].name, m.billions, size_source_name(m.source),
                     cases[i].billions, size_source_name(cases[i].source));
    }
    struct model_size m = model_size_from_name(NULL);
    assert_int_equal(m.source, SIZE_UNKNOWN);
    assert_string_equal(model_size_from_name("phi-2").family, "phi-2");
}

static void test_tiers(void **state)
{
    (void)state;
    static const struct {
        double b;
        enum size_tier t;
    } t[] = {{0.5, TIER_SMALL},  {7, TIER_SMALL},   {10, TIER_SMALL},  {10.5, TIER_MEDIUM}, {11, TIER_MEDIUM},
             {20, TIER_MEDIUM},  {20.5, TIER_LARGE}, {21, TIER_LARGE},  {50, TIER_LARGE},    {50.5, TIER_XLARGE},
             {51, TIER_XLARGE},  {405, TIER_XLARGE}, {0, TIER_UNKNOWN}, {-1, TIER_UNKNOWN},  {NAN, TIER_UNKNOWN}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (size_tier_of(t[i].b) != t[i].t)
            fail_msg("%g: %s, expected %s", t[i].b, size_tier_name(size_tier_of(t[i].b)), size_tier_name(t[i].t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
