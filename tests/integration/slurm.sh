#!/usr/bin/env bash
# A real Slurm: a single-node cluster (munge, slurmctld, slurmd) brought up
# in a scratch folder by tests/tools/slurm_cluster.sh, the job scripts in
# jobs/ submitted with sbatch at smoke sizes, and each job's outcome checked:
# its state, the results file, the provenance (job id, node list, ranks),
# and a failing check or config error failing the job with fidrun's exit code.
# Ends with "slurm: N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

echo "slurm ($(slurmctld -V 2>/dev/null || echo 'slurmctld not installed'), $(munged --version 2>/dev/null | head -n1 || true))"
cluster=$work/slurm
bring_up slurm "Slurm" "tests/tools/slurm_cluster.sh start '$cluster'" "tests/tools/slurm_cluster.sh stop '$cluster'"
export SLURM_CONF=$cluster/slurm.conf
node=$(cat "$cluster/nodename")
host=$(hostname -s)
ok "a single-node Slurm is up: munged, slurmctld and slurmd (node $node on $host), $(nproc) CPUs"

# submit NAME SCRIPT ARGS...: sbatch --wait at smoke sizes (2 tasks of 1 CPU);
# sets rc (the job's exit code), jobid, state, exitcode and out (the job's output)
submit() {
  local name=$1 script=$2
  shift 2
  out=$work/$name.out
  timeout 300 sbatch --wait --parsable --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --mem-per-cpu=1G \
    --time=10 --job-name="fidrun-$name" -o "$out" "$script" "$@" >"$work/$name.jobid" 2>"$work/$name.err"
  rc=$?
  jobid=$(head -n1 "$work/$name.jobid" | cut -d';' -f1)
  local info
  info=$(scontrol show job "$jobid" 2>/dev/null)
  state=$(grep -o 'JobState=[A-Z_]*' <<<"$info" | cut -d= -f2)
  exitcode=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" | cut -d= -f2)
  [ -f "$out" ] || out=$work/$name.err
}

# provenance FILE: the report's provenance lines that name the job
provenance_ok() {
  local h5=$1 text
  text=$($FIDRUN report "$h5" 2>&1 | sed -n '1,30p')
  grep -q "^  slurm_job_id      $jobid\$" <<<"$text" && grep -q "^  slurm_nodelist    $node\$" <<<"$text" &&
    grep -q "^  slurm_ntasks      2\$" <<<"$text" && grep -q "^  ranks             2\$" <<<"$text" &&
    grep -q "^  hosts             $host\$" <<<"$text"
}

# 1. each job script at smoke size: the job completes, its results file names the job
for spec in "osft jobs/osft.sbatch $smoke --only model.layers.0.*" \
  "balance jobs/balance.sbatch configs/balance-smoke.yaml" \
  "quant jobs/quant.sbatch configs/quant-smoke.yaml"; do
  set -f
  set -- $spec
  set +f
  name=$1 script=$2 config=$3
  shift
  submit "$name" "$@" --out "$work/res-$name"
  h5=$(newest "$work/res-$name")
  if [ $rc -eq 0 ] && [ "$state" = COMPLETED ] && [ "$exitcode" = 0:0 ] && [ -n "$h5" ] && provenance_ok "$h5"; then
    ok "sbatch $script $config: job $jobid COMPLETED, results file with slurm_job_id $jobid, node $node, 2 ranks"
  else bad "sbatch $script" "exit $rc, state ${state:-?}, ExitCode ${exitcode:-?}, results '${h5:-none}'"; fi
done

# 2. srun's ranks give the figures mpirun's do
mpirun_fidrun 2 $smoke --only 'model.layers.0.*' --out "$work/mpirun" -q
if [ $rc -eq 0 ] && cmp=$($H5 compare "$(newest "$work/mpirun")" "$(newest "$work/res-osft")" osft 2>&1); then
  ok "srun under Slurm gives the per-matrix figures of mpirun -np 2 ($cmp)"
else bad "srun figures against mpirun's" "exit $rc: ${cmp:-}"; fi

# 3. the scaling script: one srun per node count the allocation has
submit scaling jobs/osft-scaling.sbatch $smoke --only 'model.layers.0.*' --out "$work/res-scaling"
h5=$(newest "$work/res-scaling")
if [ $rc -eq 0 ] && [ "$state" = COMPLETED ] && grep -q "^== 1 node(s), 2 ranks" "$out" && [ -n "$h5" ] &&
  $FIDRUN report "$h5" | grep -q "^  name              osft-scaling-1n$"; then
  ok "sbatch jobs/osft-scaling.sbatch on a 1-node allocation: one srun of 2 ranks, results named osft-scaling-1n"
else bad "sbatch jobs/osft-scaling.sbatch" "exit $rc, state ${state:-?}"; fi

# 4. failures reach Slurm: failing checks (exit 1) and a config error (exit 2) fail the job
submit failing jobs/osft.sbatch $smoke --only 'model.layers.0.*' --out "$work/res-failing" \
  --set suites.osft.atol=0 --set suites.osft.rtol=0
if [ $rc -eq 1 ] && [ "$state" = FAILED ] && [ "$exitcode" = 1:0 ] && grep -q "^FAILED: " "$out" &&
  [ -n "$(newest "$work/res-failing")" ]; then
  ok "a run whose checks fail: job $jobid FAILED with ExitCode 1:0, its results file kept"
else bad "failing checks under Slurm" "exit $rc, state ${state:-?}, ExitCode ${exitcode:-?}"; fi
submit badconfig jobs/osft.sbatch $smoke --set suites.osft.layers=zero
if [ $rc -eq 2 ] && [ "$state" = FAILED ] && [ "$exitcode" = 2:0 ] && grep -q "suites.osft.layers" "$out"; then
  ok "a config error: job $jobid FAILED with ExitCode 2:0, the message names the key"
else bad "a config error under Slurm" "exit $rc, state ${state:-?}, ExitCode ${exitcode:-?}"; fi

# 5. preemption and the time limit: Slurm signals SIGTERM to every task; the ranks stop, the job ends
#    FAILED with ExitCode 4:0 and keeps the journal, and the same script submitted again (as a requeued
#    job runs it) resumes from the journal and completes
out=$work/preempted.out
jobid=$(sbatch --parsable --open-mode=append --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --mem-per-cpu=1G \
  --time=10 -o "$out" jobs/osft.sbatch $smoke --set suites.osft.layers=4 --out "$work/res-preempt" --progress log 2>&1)
for _ in $(seq 600); do grep -q ' elapsed · eta ' "$out" 2>/dev/null && break; sleep 0.1; done
scancel --signal=TERM "$jobid"
for _ in $(seq 600); do
  state=$(scontrol show job "$jobid" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  case $state in PENDING | RUNNING | COMPLETING | CONFIGURING | "") sleep 0.1 ;; *) break ;; esac
done
exitcode=$(scontrol show job "$jobid" | grep -o ' ExitCode=[0-9:]*' | cut -d= -f2)
if [ "$state" = FAILED ] && [ "$exitcode" = 4:0 ] && grep -q "^INCOMPLETE: " "$out" &&
  [ -f "$work/res-preempt/smoke-qwen2.5-0.5b.journal/run.json" ]; then
  ok "scancel --signal=TERM mid-run: job $jobid FAILED with ExitCode 4:0, an incomplete results file and the journal kept"
else bad "SIGTERM from Slurm" "state ${state:-?}, ExitCode ${exitcode:-?}"; fi
submit resumed jobs/osft.sbatch $smoke --set suites.osft.layers=4 --out "$work/res-preempt" --progress log
h5=$(newest "$work/res-preempt")
resumed=$($FIDRUN report "$h5" | sed -n 's/^  resumed_tasks *//p')
if [ $rc -eq 0 ] && [ "$state" = COMPLETED ] && [ "${resumed:-0}" -gt 0 ] && grep -q "^resumed: $resumed tasks from the journal" "$out" &&
  [ ! -e "$work/res-preempt/smoke-qwen2.5-0.5b.journal" ] && provenance_ok "$h5"; then
  ok "the same script again (--resume auto): job $jobid COMPLETED, $resumed of 28 tasks taken from the journal, journal removed"
else bad "resuming under Slurm" "exit $rc, state ${state:-?}, resumed '${resumed:-}'"; fi

# 6. the GPU script needs GPUs Slurm knows of
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  skip "sbatch jobs/osft-gpu.sbatch" "this test's Slurm has no GPU resources (gres) configured"
else
  skip "sbatch jobs/osft-gpu.sbatch" "no GPU on this machine"
fi

finish slurm
