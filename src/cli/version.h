/* What this binary was built with and what it runs against, for
 * `fidrun --version`: the git commit and whether the tree was dirty, the
 * compiler and the flags of the hot kernels, and the versions of MPI, HDF5,
 * libyaml, jansson, BLAS and CUDA as the libraries report them. */
#ifndef FIDRUN_BUILD_INFO_H
#define FIDRUN_BUILD_INFO_H

#include <stdio.h>

void build_info_print(FILE *out);

#endif
