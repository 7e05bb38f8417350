/* fidrun gptq-check DIR ...: a GPTQ checkpoint folder checked layer by layer. */
#ifndef FIDRUN_GPTQ_CHECK_CLI_H
#define FIDRUN_GPTQ_CHECK_CLI_H

int gptq_check_main(int argc, char **argv);

#endif
