/* fidrun history DIR [--name NAME] [--format text|html] [-o PATH] [--band F] */
#ifndef FIDRUN_HISTORY_CLI_H
#define FIDRUN_HISTORY_CLI_H

int history_main(int argc, char **argv);

#endif
