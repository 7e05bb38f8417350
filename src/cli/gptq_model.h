/* fidrun gptq --model DIR --out DIR [options]: a whole checkpoint quantized (the gptq suite). */
#ifndef FIDRUN_GPTQ_MODEL_CLI_H
#define FIDRUN_GPTQ_MODEL_CLI_H

extern const char gptq_model_usage[];

int gptq_model_main(int *argc, char ***argv);

#endif
