/* fidrun report RESULTS.h5 ...: a results file as text, JSON, CSV or JUnit. */
#ifndef FIDRUN_REPORT_CLI_H
#define FIDRUN_REPORT_CLI_H

int report_main(int argc, char **argv);

#endif
