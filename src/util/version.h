#ifndef FIDRUN_VERSION_H
#define FIDRUN_VERSION_H

#define FIDRUN_VERSION "0.1.0"

/* build/git-commit.h is written by the Makefile from `git describe`. */
#if defined(__has_include)
#if __has_include("git-commit.h")
#include "git-commit.h"
#endif
#endif
#ifndef FIDRUN_GIT_COMMIT
#define FIDRUN_GIT_COMMIT "unknown"
#endif

#endif
