/* fidrun gptq: quantize one layer of a safetensors file (RTN or GPTQ),
 * write it in the HF GPTQ layout and print its error. No MPI. */
#ifndef FIDRUN_GPTQ_CLI_H
#define FIDRUN_GPTQ_CLI_H

int gptq_main(int argc, char **argv);

#endif
