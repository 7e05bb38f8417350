/* CUDA_VISIBLE_DEVICES read the way the CUDA runtime reads it, so a rank
 * can name the GPU it bound by the host's numbering. Pure; the CUDA
 * backend (cuda/device.cu) and the tests use it without the rest of
 * run/device.c. */
#ifndef FIDRUN_CUDA_VISIBLE_H
#define FIDRUN_CUDA_VISIBLE_H

/* The host index of CUDA ordinal `ordinal` given CUDA_VISIBLE_DEVICES
 * (set by the user or by Slurm's GPU binding; NULL or "" when unset): the
 * list's entry when it is a number, -1 for a UUID or MIG name or when the
 * list is too short. Pure. */
int cuda_visible_host_index(const char *visible, int ordinal);

#endif
