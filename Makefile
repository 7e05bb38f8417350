# fidrun: `make` builds ./fidrun; `make run` runs the default study;
# `make test` runs every test. Both of the latter install what is missing
# first: Debian packages (.ci/install-deps) and, for the tests, a Python venv
# under build/ (tests/venv.sh). `make V=1` shows every command in full.

.DEFAULT_GOAL := all

CC      := mpicc
CFLAGS  ?= -O2 -g
# Includes are path-qualified: "core/balance/partition.h" under src/,
# "mpi/comm.h" and "cuda/gpu.h" from the top; build/ holds generated headers.
override CFLAGS += -std=c11 -Wall -Wextra -pthread -D_DEFAULT_SOURCE -MMD -MP -Ibuild -Isrc -I.
LDLIBS  :=

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# One line per step ("CC src/x.c"), or with V=1 the commands themselves.
ifeq ($(V),1)
  show :=
else
  show = @printf '  %-5s %s\n' '$(1)' '$(2)';
endif

# make test SANITIZE=address,undefined: every object and test built with
# the sanitizers; any report fails the test that hit it. CPU only: ASan's
# shadow memory and the CUDA runtime's address-space reservations collide.
ifneq ($(SANITIZE),)
  override CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDLIBS += -fsanitize=$(SANITIZE)
  NO_CUDA := 1
  # Leaks are checked in the unit tests (and everything that runs without
  # MPI); under mpirun, Open MPI's components are unloaded before the leak
  # check and their allocations cannot be told from ours, so there ASan
  # looks for memory errors only.
  SANITIZE_ENV := FIDRUN_SANITIZE=$(SANITIZE) ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0 \
                  FIDRUN_UNIT_ASAN_OPTIONS=detect_leaks=1:detect_odr_violation=0 \
                  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0 \
                  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
endif

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

# ScaLAPACK (p?gesvd for a matrix all ranks decompose together) when its
# Open MPI build is there; without it such matrices use TSQR alone.
SCALAPACK_LIBS := $(if $(shell pkg-config --exists scalapack-openmpi 2>/dev/null && echo y),-lscalapack-openmpi)
SCALAPACK_DEFS := $(if $(SCALAPACK_LIBS),-DHAVE_SCALAPACK)

override CFLAGS += $(HDF5_CFLAGS) $(LAPACKE_CFLAGS) $(OPENBLAS_CFLAGS) $(SCALAPACK_DEFS)
LDLIBS += $(HDF5_LIBS) $(YAML_LIBS) $(JANSSON_LIBS) $(SCALAPACK_LIBS) $(LAPACKE_LIBS) $(OPENBLAS_LIBS) -lm -pthread

# CUDA: nvcc from CUDA_HOME (or PATH), cuSOLVER and cuBLAS beside it, NCCL
# beside it or in the system folders. cuda/*.cu are built into the same
# ./fidrun; `make NO_CUDA=1` leaves them out. GPU_ARCH lists the SM
# versions to build for (code for each, plus PTX for the last).
CUDA_HOME ?= /usr/local/cuda
GPU_ARCH  ?= 80 90
NVCC := $(if $(NO_CUDA),,$(or $(wildcard $(CUDA_HOME)/bin/nvcc),$(shell command -v nvcc 2>/dev/null)))
ifneq ($(NVCC),)
  CUDA_ROOT := $(patsubst %/bin/nvcc,%,$(NVCC))
  CUDA_LIBDIR := $(firstword $(wildcard $(CUDA_ROOT)/lib64 $(CUDA_ROOT)/targets/x86_64-linux/lib $(CUDA_ROOT)/lib))
  CUSOLVER_OK := $(and $(wildcard $(CUDA_ROOT)/include/cusolverDn.h),$(wildcard $(CUDA_LIBDIR)/libcusolver.so))
  CUBLAS_OK   := $(and $(wildcard $(CUDA_ROOT)/include/cublas_v2.h),$(wildcard $(CUDA_LIBDIR)/libcublas.so))
  NCCL_INC := $(firstword $(dir $(wildcard $(NCCL_HOME)/include/nccl.h $(CUDA_ROOT)/include/nccl.h /usr/include/nccl.h)))
  NCCL_LIB := $(firstword $(dir $(wildcard $(NCCL_HOME)/lib/libnccl.so $(CUDA_LIBDIR)/libnccl.so /usr/lib/$(MULTIARCH)/libnccl.so)))
endif
ifneq ($(and $(NVCC),$(CUSOLVER_OK),$(CUBLAS_OK)),)
  CUDA_SRCS := $(filter-out $(if $(and $(NCCL_INC),$(NCCL_LIB)),,cuda/nccl.cu),$(wildcard cuda/*.cu))
  CUDA_C_SRCS := $(wildcard cuda/*.c)
  CUDA_DEFS := -DFIDRUN_CUDA $(if $(and $(NCCL_INC),$(NCCL_LIB)),-DFIDRUN_NCCL)
  CUDA_INCS := -I$(CUDA_ROOT)/include $(if $(NCCL_INC),-I$(NCCL_INC))
  NVCCFLAGS ?= -O3 -lineinfo
  NVCC_WERROR ?= -Werror all-warnings
  override NVCCFLAGS += -std=c++17 $(foreach a,$(GPU_ARCH),-gencode arch=compute_$(a),code=sm_$(a)) \
      -gencode arch=compute_$(lastword $(GPU_ARCH)),code=compute_$(lastword $(GPU_ARCH)) \
      -Xcompiler -Wall,-Wextra $(NVCC_WERROR) $(CUDA_DEFS) -Ibuild -Isrc -I. $(CUDA_INCS) -MMD -MP
  override CFLAGS += $(CUDA_DEFS) $(CUDA_INCS)
  NCCL_LDLIBS := -L$(NCCL_LIB) -Wl,-rpath,$(NCCL_LIB) -lnccl
  LDLIBS += -L$(CUDA_LIBDIR) -Wl,-rpath,$(CUDA_LIBDIR) $(if $(and $(NCCL_INC),$(NCCL_LIB)),$(NCCL_LDLIBS)) \
            -lcusolver -lcublas -lcudart -lstdc++
  CUDA_NOTE := nvcc $(shell $(NVCC) --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') at $(NVCC) · cuSOLVER, cuBLAS · $(if $(and $(NCCL_INC),$(NCCL_LIB)),NCCL in $(NCCL_LIB),no NCCL (broadcasts over MPI)) · sm_$(subst $() $(),/sm_,$(strip $(GPU_ARCH)))
else
  CUDA_SRCS :=
  CUDA_C_SRCS :=
  CUDA_NOTE := $(if $(NO_CUDA),disabled (NO_CUDA=1),$(if $(NVCC),nvcc at $(NVCC) but cuSOLVER or cuBLAS missing: CPU only,no nvcc (set CUDA_HOME): CPU only))
endif

# Sources by folder: every .c under src/ (one folder per concern) and mpi/.
SRCS := $(sort $(shell find src -name '*.c')) $(wildcard mpi/*.c)
OBJS := $(patsubst %.c,build/%.o,$(SRCS) $(CUDA_C_SRCS)) $(patsubst %.cu,build/%.o,$(CUDA_SRCS))

# The dequant-matmul inner loops: -O3, and on x86-64 a second build for
# AVX2+FMA+F16C that qmatmul.c picks at run time where the CPU has them.
build/src/core/quant/qmatmul_tiles.o: override CFLAGS += -O3 -ffp-contract=off
build/src/core/quant/degenerate.o: override CFLAGS += -O3
ifeq ($(shell uname -m),x86_64)
OBJS += build/src/core/quant/qmatmul_tiles_v3.o
build/src/core/quant/qmatmul.o: override CFLAGS += -DFIDRUN_QMM_V3
build/src/core/quant/qmatmul_tiles_v3.o: src/core/quant/qmatmul_tiles.c build/flags
	@mkdir -p $(dir $@)
	$(call show,CC,$< (AVX2+FMA+F16C))$(CC) $(CFLAGS) -O3 -mavx2 -mfma -mf16c -ffp-contract=off -DQMM_SUFFIX=_v3 -c -o $@ $<
endif
LIB_OBJS := $(filter-out build/src/main.o,$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRCS))
TOOL_BINS := build/tests/h5records build/tests/dsvd_check

# Open MPI as root, more ranks than cores, one BLAS thread per rank.
MPI_ENV := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
           OMPI_MCA_rmaps_base_oversubscribe=true OPENBLAS_NUM_THREADS=1 $(SANITIZE_ENV)
RUN_NP ?= 4
RUN_CONFIG ?= configs/osft.yaml
RUN_ARGS ?=

.PHONY: install all found deps deps-test deps-fuzz run test check-layout fuzz-campaign unit integration bench bench-balance bench-realized bench-quant bench-progress bench-compare bench-dsvd fuzz valgrind clean FORCE

all: fidrun

found:
	@.ci/install-deps --check build
	@echo "fidrun build: $(CC) ($(shell mpirun --version 2>/dev/null | head -n1)) · hdf5 $(if $(HDF5_PC),$(call pc_version,$(HDF5_PC)),(fallback flags)) · yaml $(call pc_version,yaml-0.1) · jansson $(call pc_version,jansson) · lapacke $(call pc_version,lapacke) · openblas $(call pc_version,openblas) · scalapack $(if $(SCALAPACK_LIBS),$(call pc_version,scalapack-openmpi),none (tsqr only)) · cuda: $(CUDA_NOTE)"

# the found line (and the check for missing packages) before anything compiles
$(OBJS) $(UNIT_BINS) $(TOOL_BINS): | found

fidrun: $(OBJS)
	$(call show,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Objects depend on the flags they were built with: switching NO_CUDA=1,
# GPU_ARCH or CFLAGS rebuilds them.
build/flags: FORCE
	@mkdir -p build
	@printf '%s\n' "$(CC) $(CFLAGS) | $(NVCC) $(NVCCFLAGS) | $(LDLIBS)" > $@.new; \
	 cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

build/%.o: %.c build/flags
	@mkdir -p $(dir $@)
	$(call show,CC,$<)$(CC) $(CFLAGS) -c -o $@ $<

build/cuda/%.o: cuda/%.cu build/flags
	@mkdir -p $(dir $@)
	$(call show,NVCC,$<)$(NVCC) $(NVCCFLAGS) -c -o $@ $<

# The git commit compiled into the binary; rewritten only when it changes.
build/git-commit.h: FORCE
	@mkdir -p build
	@c=$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown); \
	 dirty=$$(git status --porcelain --untracked-files=no 2>/dev/null | head -c1 | wc -c); \
	 git rev-parse --git-dir >/dev/null 2>&1 || dirty=-1; \
	 printf '#define FIDRUN_GIT_COMMIT "%s"\n#define FIDRUN_GIT_DIRTY %s\n' "$$c" "$$dirty" > $@.new; \
	 cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
build/src/run/provenance.o build/src/main.o build/src/cli/version.o: build/git-commit.h
build/src/cli/version.o: override CFLAGS += -DFIDRUN_KERNEL_FLAGS='"$(KERNEL_FLAGS_NOTE)"'
KERNEL_FLAGS_NOTE := dequant-matmul tiles -O3 -ffp-contract=off$(if $(filter x86_64,$(shell uname -m)), plus a -mavx2 -mfma -mf16c build picked at run time) · $(if $(CUDA_SRCS),CUDA for sm_$(subst $() $(),/sm_,$(strip $(GPU_ARCH))) + PTX $(lastword $(GPU_ARCH)),no CUDA)

# What each step needs, installed when missing (as root; otherwise the one
# command to run as root is printed). deps-test also makes build/venv.
deps:
	@.ci/install-deps build

deps-test:
	@.ci/install-deps test
	@$(MAKE) --no-print-directory build/venv/.ready

build/venv/.ready: tests/requirements.txt tests/venv.sh
	@tests/venv.sh

deps-fuzz:
	@.ci/install-deps fuzz

run: deps
	@$(MAKE) --no-print-directory fidrun
	$(MPI_ENV) mpirun -np $(RUN_NP) ./fidrun $(RUN_CONFIG) --resume auto $(RUN_ARGS)

build/tests/test_%: tests/unit/test_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call show,CC,$<)$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(CMOCKA_LIBS) $(LDLIBS)

build/tests/h5records: tests/tools/h5records.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call show,CC,$<)$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

build/tests/dsvd_check: tests/tools/dsvd_check.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call show,CC,$<)$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

# The layout's rules (tests/tools/check_layout.py, docs/layout.md): core/
# includes only core/ and util/, no suite includes another, no include or
# call cycle (nm over the objects). Also the first group of make test.
check-layout: fidrun
	@$(if $(wildcard build/venv/bin/python),build/venv/bin/python,python3) tests/tools/check_layout.py

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

integration: fidrun $(TOOL_BINS)
	@$(MPI_ENV) tests/integration/run.sh

test: deps-test
	@$(MAKE) --no-print-directory fidrun $(UNIT_BINS) $(TOOL_BINS)
	@$(MPI_ENV) tests/run-all.sh $(UNIT_BINS)

# Benchmarks: figures measured side by side in one run (not tests).
bench: bench-balance bench-realized bench-quant bench-progress bench-compare bench-dsvd

bench-balance: fidrun build/venv/.ready
	@tests/bench/balance.sh

bench-realized: fidrun
	@tests/bench/realized.sh $(REALIZED_CONFIG) $(REALIZED_ARGS)

bench-quant: fidrun build/venv/.ready
	@tests/bench/quant.sh

valgrind: $(UNIT_BINS)
	@tests/valgrind.sh $(UNIT_BINS)

bench-progress: fidrun
	@tests/bench/progress.sh $(PROGRESS_CONFIG) $(PROGRESS_NP) $(PROGRESS_PAIRS)

# false alarms of fidrun compare on quiet and CPU-loaded pairs, and a 20 %
# slow-down caught, these rules against those of COMPARE_OLD (built once)
COMPARE_OLD ?= 3892451
COMPARE_PAIRS ?= 4
# one 151936 x 1536 matrix at -np 1 (LAPACK) and 2 (TSQR, ScaLAPACK): wall
# and peak memory per rank as ratios (tests/bench/dsvd.sh, about 10 minutes)
bench-dsvd: fidrun deps-test
	@tests/bench/dsvd.sh $(DSVD_SHAPE)

bench-compare: fidrun
	@tests/bench/compare_noise.sh $(COMPARE_OLD) $(COMPARE_PAIRS)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) over the parsers, built with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer (CPU code only).
# make fuzz FUZZ_SECONDS=N runs each for N seconds from its committed corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -std=c11 -pthread -D_DEFAULT_SOURCE -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
                -Ibuild -Isrc -I. $(HDF5_CFLAGS) $(LAPACKE_CFLAGS) $(OPENBLAS_CFLAGS)
FUZZ_LIBS    := $(HDF5_LIBS) $(YAML_LIBS) $(JANSSON_LIBS) $(LAPACKE_LIBS) $(OPENBLAS_LIBS) -lm -pthread
FUZZ_OBJS    := $(patsubst %.c,build/fuzz/%.o,$(filter-out src/main.c,$(SRCS)))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build/fuzz/%.o: %.c build/git-commit.h
	@mkdir -p $(dir $@)
	$(call show,CC,$< (fuzz))OMPI_CC=$(FUZZ_CC) mpicc $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(call show,LD,$@)OMPI_CC=$(FUZZ_CC) mpicc $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

.SECONDARY: $(FUZZ_OBJS)

# The hostile-input campaign at its large size (2,000 configs, every crafted
# checkpoint through every entry point, 40 flips per results file, 10M-line
# costs, 30 SIGKILLs); make test runs the small one.
fuzz-campaign: deps-test
	@$(MAKE) --no-print-directory fidrun build/tests/h5records
	@d=$$(mktemp -d /tmp/fidrun-campaign.XXXXXX); $(MPI_ENV) build/venv/bin/python tests/campaign/campaign.py \
	  ./fidrun build/tests/h5records $$d --size large; rc=$$?; rm -rf $$d; exit $$rc

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# make install PREFIX=/usr/local DESTDIR=...: the binary, the configs and
# profiles as examples, the Slurm job scripts, the man page and the bash
# completion.
PREFIX ?= /usr/local
install: fidrun
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/fidrun/configs/profiles \
	  $(DESTDIR)$(PREFIX)/share/fidrun/jobs $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 fidrun $(DESTDIR)$(PREFIX)/bin/fidrun
	install -m 644 configs/*.yaml $(DESTDIR)$(PREFIX)/share/fidrun/configs/
	install -m 644 configs/profiles/*.yaml $(DESTDIR)$(PREFIX)/share/fidrun/configs/profiles/
	install -m 755 jobs/*.sbatch $(DESTDIR)$(PREFIX)/share/fidrun/jobs/
	install -m 644 docs/fidrun.1 $(DESTDIR)$(PREFIX)/share/man/man1/fidrun.1
	install -m 644 docs/fidrun.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fidrun

clean:
	rm -rf build fidrun

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)
