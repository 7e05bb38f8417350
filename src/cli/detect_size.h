/* fidrun detect-size NAME|FOLDER ...: model sizes by name or counted. */
#ifndef FIDRUN_DETECT_SIZE_CLI_H
#define FIDRUN_DETECT_SIZE_CLI_H

int detect_size_main(int argc, char **argv);

#endif
