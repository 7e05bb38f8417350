# fidrun: `make` builds ./fidrun; `make run` runs the default study;
# `make test` runs the unit and multi-rank tests. Both of the latter install
# missing Debian packages first (.ci/install-deps).

CC      := mpicc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -Wall -Wextra -D_DEFAULT_SOURCE -MMD -MP -Ibuild -Isrc -Impi
LDLIBS  :=

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# Library flags from pkg-config, with fallbacks for distributions whose .pc
# files differ (Ubuntu 24.04 keeps HDF5's serial headers in their own folder).
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)
pc_version = $(shell pkg-config --modversion $(1) 2>/dev/null || echo missing)

HDF5_PC := $(firstword $(foreach p,hdf5 hdf5-serial,$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),$(p))))
ifneq ($(HDF5_PC),)
  HDF5_CFLAGS := $(call pc_cflags,$(HDF5_PC))
  HDF5_LIBS   := $(call pc_libs,$(HDF5_PC))
else
  HDF5_CFLAGS := $(if $(wildcard /usr/include/hdf5/serial/hdf5.h),-I/usr/include/hdf5/serial)
  HDF5_LIBS   := $(if $(wildcard /usr/lib/$(MULTIARCH)/hdf5/serial),-L/usr/lib/$(MULTIARCH)/hdf5/serial) -lhdf5
endif
YAML_LIBS     := $(or $(call pc_libs,yaml-0.1),-lyaml)
JANSSON_LIBS  := $(or $(call pc_libs,jansson),-ljansson)
LAPACKE_CFLAGS := $(call pc_cflags,lapacke)
LAPACKE_LIBS  := $(or $(call pc_libs,lapacke),-llapacke)
OPENBLAS_CFLAGS := $(or $(call pc_cflags,openblas),$(if $(wildcard /usr/include/$(MULTIARCH)/openblas-pthread/cblas.h),-I/usr/include/$(MULTIARCH)/openblas-pthread))
OPENBLAS_LIBS := $(or $(call pc_libs,openblas),-lopenblas)
CMOCKA_LIBS   := $(or $(call pc_libs,cmocka),-lcmocka)

override CFLAGS += $(HDF5_CFLAGS) $(LAPACKE_CFLAGS) $(OPENBLAS_CFLAGS)
LDLIBS += $(HDF5_LIBS) $(YAML_LIBS) $(JANSSON_LIBS) $(LAPACKE_LIBS) $(OPENBLAS_LIBS) -lm

# CUDA: found here so the CUDA backend (cuda/*.cu, built with nvcc into the
# same binary) slots in; `make NO_CUDA=1` leaves it out.
CUDA_HOME ?= /usr/local/cuda
NVCC := $(if $(NO_CUDA),,$(or $(shell command -v nvcc 2>/dev/null),$(wildcard $(CUDA_HOME)/bin/nvcc)))
CUDA_SRCS := $(wildcard cuda/*.cu)
CUDA_NOTE := $(if $(NO_CUDA),disabled (NO_CUDA=1),$(if $(NVCC),nvcc at $(NVCC)$(if $(CUDA_SRCS),, (no CUDA backend in this version)),not found))

SRCS := $(wildcard src/*.c) mpi/comm.c
OBJS := $(patsubst %.c,build/%.o,$(SRCS))

# The dequant-matmul inner loops: -O3, and on x86-64 a second build for
# AVX2+FMA+F16C that qmatmul.c picks at run time where the CPU has them.
build/src/qmatmul_tiles.o: override CFLAGS += -O3 -ffp-contract=off
build/src/degenerate.o: override CFLAGS += -O3
ifeq ($(shell uname -m),x86_64)
OBJS += build/src/qmatmul_tiles_v3.o
build/src/qmatmul.o: override CFLAGS += -DFIDRUN_QMM_V3
build/src/qmatmul_tiles_v3.o: src/qmatmul_tiles.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -mavx2 -mfma -mf16c -ffp-contract=off -DQMM_SUFFIX=_v3 -c -o $@ $<
endif
LIB_OBJS := $(filter-out build/src/main.o,$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRCS))
TOOL_BINS := build/tests/h5records

# Open MPI as root, more ranks than cores, one BLAS thread per rank.
MPI_ENV := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
           OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1
RUN_NP ?= 4
RUN_CONFIG ?= configs/osft.yaml
RUN_ARGS ?=

.PHONY: all found deps run test unit integration bench bench-balance bench-realized bench-quant clean FORCE

all: fidrun

found:
	@echo "fidrun build: $(CC) ($(shell mpirun --version 2>/dev/null | head -n1)) · hdf5 $(if $(HDF5_PC),$(call pc_version,$(HDF5_PC)),(fallback flags)) · yaml $(call pc_version,yaml-0.1) · jansson $(call pc_version,jansson) · lapacke $(call pc_version,lapacke) · openblas $(call pc_version,openblas) · cuda: $(CUDA_NOTE)"

fidrun: $(OBJS) | found
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The git commit compiled into the binary; rewritten only when it changes.
build/git-commit.h: FORCE
	@mkdir -p build
	@c=$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown); \
	 echo "#define FIDRUN_GIT_COMMIT \"$$c\"" > $@.new; \
	 cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
build/src/provenance.o build/src/main.o: build/git-commit.h

deps:
	@.ci/install-deps

run: deps
	@$(MAKE) --no-print-directory fidrun
	$(MPI_ENV) mpirun -np $(RUN_NP) ./fidrun $(RUN_CONFIG) $(RUN_ARGS)

build/tests/test_%: tests/unit/test_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $(filter %.c %.o,$^) $(CMOCKA_LIBS) $(LDLIBS)

build/tests/h5records: tests/tools/h5records.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $(filter %.c %.o,$^) $(LDLIBS)

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

integration: fidrun $(TOOL_BINS)
	@$(MPI_ENV) tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory fidrun $(UNIT_BINS) $(TOOL_BINS)
	@$(MPI_ENV) tests/run-all.sh $(UNIT_BINS)

# Benchmarks: figures measured side by side in one run (not tests).
bench: bench-balance bench-realized bench-quant

bench-balance: fidrun
	@tests/bench/balance.sh

bench-realized: fidrun
	@tests/bench/realized.sh $(REALIZED_CONFIG) $(REALIZED_ARGS)

bench-quant: fidrun
	@tests/bench/quant.sh

clean:
	rm -rf build fidrun

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)
