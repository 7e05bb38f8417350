/* fidrun compare BASE NEW [--tolerance M=LO,HI]... [--atol X] [--band F] [--verbose] [--format F] [-o PATH] */
#ifndef FIDRUN_COMPARE_CLI_H
#define FIDRUN_COMPARE_CLI_H

int compare_main(int argc, char **argv);

#endif
