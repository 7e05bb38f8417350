#!/usr/bin/env bash
# Nothing lost when a run dies: the journal each rank keeps, --resume with
# another rank count, fidrun recover, SIGTERM to every rank (as Slurm sends
# before the time limit), SIGKILL to one rank of four, a torn journal tail,
# and the refusals (a fresh run over a journal, a resume with another
# config). Every resumed run must equal a single-rank run bit for bit.
# Ends with "reliability: N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

echo "reliability (journal, --resume, recover, signals)"
journal_of() { echo "$1/smoke-qwen2.5-0.5b.journal"; }
# attr FILE NAME: a root attribute of a results file, as fidrun report prints it
attr() { $FIDRUN report "$1" | sed -n "s/^  $2 *//p" | head -n1; }
# start_run NP DIR ARGS...: in the background; sets job and out
start_run() {
  local np=$1 dir=$2
  shift 2
  out=$work/log.$((++n_logs))
  timeout $LIMIT mpirun -np "$np" $FIDRUN $smoke --out "$dir" --progress log "$@" >"$out" 2>&1 &
  job=$!
}
# wait_progress N: until the run has shown N tasks done (or 30 s)
wait_progress() {
  for _ in $(seq 300); do
    [ "$(grep -o '^\[ *[0-9]*/' "$out" | tr -dc '0-9\n' | sort -n | tail -n1)" -ge "$1" ] 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
ranks_of() { pgrep -f "^$FIDRUN $smoke --out $1( |\$)"; }

mpirun_fidrun 1 $smoke --out "$work/ref" -q
check_rc "the reference: smoke.yaml at -np 1" 0
ref=$(newest "$work/ref")
same_as_ref() { $H5 compare "$ref" "$1" osft 2>&1; }

# 1. SIGTERM to every rank mid-run: each finishes its task, rank 0 writes an incomplete file, exit 4
start_run 2 "$work/term"
wait_progress 3
pkill -TERM -f "^$FIDRUN $smoke --out $work/term( |\$)"
wait $job
rc=$?
h5=$(newest "$work/term")
missing=$( [ -n "$h5" ] && attr "$h5" missing_count)
if [ $rc -eq 4 ] && grep -q "^INCOMPLETE: $missing of 14 tasks not run (SIGTERM)" "$out" && [ "$(attr "$h5" complete)" = 0 ] &&
  [ "$missing" -gt 0 ] && [ "$(attr "$h5" incomplete_because)" = SIGTERM ] && [ -f "$(journal_of "$work/term")/run.json" ]; then
  ok "SIGTERM to both ranks: exit 4, results file marked incomplete with the $missing tasks missing named, journal kept"
else bad "SIGTERM mid-run" "exit $rc, missing '${missing:-}'"; fi

# 2. a fresh run into that folder is refused; a resume with another config too
mpirun_fidrun 2 $smoke --out "$work/term" -q
if [ $rc -eq 2 ] && grep -q "holds the journal of an interrupted run of 'smoke-qwen2.5-0.5b': resume it with --resume" "$out"; then
  ok "a fresh run over an interrupted run's journal exits 2, saying how to resume"
else bad "a fresh run over a journal" "exit $rc"; fi
mpirun_fidrun 2 $smoke --resume "$work/term" --set suites.osft.atol=2e-5 -q
if [ $rc -eq 2 ] && grep -q "this run's --set overrides is not the interrupted run's (line 1: '' then, 'suites.osft.atol=2e-5' now)" "$out"; then
  ok "--resume with another --set exits 2 naming the difference"
else bad "--resume with another config" "exit $rc"; fi
mpirun_fidrun 2 $smoke --resume "$work/nothing-here" -q
if [ $rc -eq 2 ] && grep -q "no journal of this run there" "$out"; then ok "--resume of a folder without a journal exits 2"
else bad "--resume without a journal" "exit $rc"; fi

# 3. fidrun recover: the journal as a results file, no task run, the missing ones listed
cp -r "$(journal_of "$work/term")" "$work/recover-copy.journal"
out=$work/recover.log
$FIDRUN recover "$work/recover-copy.journal" >"$out" 2>&1
rc=$?
h5=$(ls -t "$work"/smoke-*.h5 2>/dev/null | head -n1)
if [ $rc -eq 4 ] && [ -n "$h5" ] && [ "$(attr "$h5" complete)" = 0 ] && [ "$(attr "$h5" missing_count)" = "$missing" ] &&
  grep -q "journal $work/recover-copy.journal: attempts 1 · $((14 - missing)) tasks done" "$out" &&
  cmp -s "$(journal_of "$work/term")/run.json" "$work/recover-copy.journal/run.json"; then
  ok "fidrun recover: a results file of the $((14 - missing)) journaled tasks, marked incomplete, the same $missing missing (exit 4), the journal unchanged"
else bad "fidrun recover" "exit $rc"; fi

# 4. --resume at -np 4 finishes it: complete, the journal gone, figures equal -np 1's
mpirun_fidrun 4 $smoke --resume "$work/term" -q
h5=$(newest "$work/term")
if [ $rc -eq 0 ] && [ "$(attr "$h5" complete)" = 1 ] && [ "$(attr "$h5" resumed_tasks)" = $((14 - missing)) ] &&
  [ ! -e "$(journal_of "$work/term")" ] && cmp=$(same_as_ref "$h5"); then
  ok "--resume at -np 4 after -np 2: $((14 - missing)) tasks from the journal, $missing run, journal removed; $cmp"
else bad "--resume at another rank count" "exit $rc: ${cmp:-}"; fi

# 5. SIGKILL to rank 2 of 4: the job ends within 10 s naming the rank and host; the journal
#    holds every task the progress had shown; --resume completes the run
start_run 4 "$work/kill"
wait_progress 4
victim=""
for p in $(ranks_of "$work/kill"); do
  tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=2' && victim=$p
done
shown=$(grep -o '^\[ *[0-9]*/' "$out" | tr -dc '0-9\n' | sort -n | tail -n1)
t0=$SECONDS
[ -n "$victim" ] && kill -9 "$victim"
ended=""
for _ in $(seq 100); do kill -0 $job 2>/dev/null || { ended=1; break; }; sleep 0.1; done
wait $job
rc=$?
secs=$((SECONDS - t0))
for _ in $(seq 100); do [ -z "$(ranks_of "$work/kill")" ] && break; sleep 0.1; done
left=$(ranks_of "$work/kill" | tr '\n' ' ')
if [ -n "$victim" ] && [ -n "$ended" ] && [ $rc -ne 0 ] && [ -z "$left" ] &&
  grep -q "process rank 2 with PID .* on node $(hostname) exited on signal 9" "$out"; then
  ok "SIGKILL to rank 2 of 4: the job ended in ${secs}s (exit $rc), mpirun naming rank 2 and host $(hostname); no rank left"
else bad "SIGKILL to one rank" "victim '${victim}', ended '${ended}', exit $rc, left '$left'"; fi
mpirun_fidrun 4 $smoke --resume "$work/kill"
h5=$(newest "$work/kill")
had=$(sed -n 's/^journal .*: attempt 2 · \([0-9]*\) tasks done.*/\1/p' "$out")
if [ $rc -eq 0 ] && [ -n "$had" ] && [ "$had" -ge "${shown:-99}" ] && [ "$(attr "$h5" complete)" = 1 ] && cmp=$(same_as_ref "$h5"); then
  ok "--resume after the kill: the journal had $had tasks (the progress had shown $shown), the run completed; $cmp"
else bad "--resume after SIGKILL" "exit $rc, journal '${had:-}', shown '${shown:-}': ${cmp:-}"; fi

# 6. a torn last record (a rank killed inside a write): dropped, its task run again
start_run 2 "$work/torn"
wait_progress 5
pkill -TERM -f "^$FIDRUN $smoke --out $work/torn( |\$)"
wait $job
jnl=$(ls -S "$(journal_of "$work/torn")"/*.jnl | head -n1)
truncate -s -7 "$jnl"
mpirun_fidrun 2 $smoke --resume "$work/torn"
h5=$(newest "$work/torn")
if [ $rc -eq 0 ] && grep -q "a torn last record dropped (its task runs again)" "$out" && [ "$(attr "$h5" complete)" = 1 ] &&
  cmp=$(same_as_ref "$h5"); then
  ok "a journal cut 7 bytes short: the torn record dropped, its task run again, the run complete; $cmp"
else bad "a torn journal" "exit $rc: ${cmp:-}"; fi

# 7. --resume auto with no journal starts afresh (what the job scripts pass)
mpirun_fidrun 2 $smoke --resume auto --out "$work/auto" -q
if [ $rc -eq 0 ] && [ "$(attr "$(newest "$work/auto")" complete)" = 1 ] && [ ! -e "$(journal_of "$work/auto")" ]; then
  ok "--resume auto without a journal: a fresh, complete run"
else bad "--resume auto" "exit $rc"; fi

# 8. task_timeout: a task that hangs (FIDRUN_INJECT_HANG) is named and ends the job, every rank
out=$work/timeout.log
t0=$SECONDS
FIDRUN_INJECT_HANG='*layers.1.mlp.up_proj*' timeout $LIMIT mpirun -np 2 $FIDRUN $smoke --only 'model.layers.1.*' \
  --out "$work/timeout" --set suites.osft.task_timeout=8 -q >"$out" 2>&1
rc=$?
secs=$((SECONDS - t0))
if [ $rc -eq 3 ] && [ $secs -lt 60 ] &&
  grep -q "error: rank [01] (.*): osft task model.layers.1.mlp.up_proj.weight has run for 8\.[0-9] s, over its task_timeout of 8 s" "$out" &&
  [ -z "$(ranks_of "$work/timeout")" ]; then
  ok "task_timeout: a hung task is named with its limit, the job ends in ${secs}s with exit 3, no rank left"
else bad "task_timeout" "exit $rc after ${secs}s"; fi
expect_timeout_error() {
  mpirun_fidrun 1 $smoke --set "suites.osft.task_timeout=$1" -q
  if [ $rc -eq 2 ] && grep -q "suites.osft.task_timeout: expected a number in \[0, 1e+07\], found '$1'" "$out"; then
    ok "task_timeout: $1 exits 2 naming the key and the range"
  else bad "task_timeout $1" "exit $rc"; fi
}
expect_timeout_error -1
expect_timeout_error soon

# 9. a plan that cannot fit in memory is refused before the first task, naming the task and the fix
FIDRUN_MEMORY_AVAILABLE_MIB=300 mpirun_fidrun 4 $smoke --out "$work/small" -q
if [ $rc -eq 2 ] && grep -q "osft task model.layers.[01].mlp.[a-z]*_proj.weight needs about [0-9]* MiB at its peak .* has 300 MiB of host memory available, 75 MiB for each of its 4 ranks: run fewer ranks per node" "$out" &&
  [ "$(grep -c 'needs about' "$out")" -eq 1 ] && [ ! -e "$(journal_of "$work/small")" ] && ! grep -q 'elapsed · eta' "$out"; then
  ok "a plan that needs more memory than each rank's share (300 MiB over 4 ranks) exits 2 before any task, once, naming the task"
else bad "the memory check" "exit $rc"; fi
out=$work/validate-memory.log
$FIDRUN validate $smoke --ranks 4 >"$out" 2>&1
if grep -q "^memory: predicted peak per rank up to [0-9.]* [MG]iB (rank [0-3]: model.layers" "$out"; then
  ok "fidrun validate prints the predicted peak memory per rank and whether it fits here"
else bad "validate's memory line" "$(tail -n1 "$out")"; fi

# 11. a full disk: refused before the first task when the free space is short; filled mid-run, the
#     job ends with the reason, no results file under its final name, and --resume finishes later
full=$work/full
mkdir -p "$full"
if ! need_root "a full disk" "to mount a small tmpfs"; then :
elif ! mount -t tmpfs -o size=600k tmpfs "$full" 2>"$work/mount.err"; then
  bad "a full disk" "cannot mount a small tmpfs as root: $(cat "$work/mount.err")"
else
  at_exit "umount '$full' 2>/dev/null"
  mpirun_fidrun 2 $smoke --out "$full" -q
  if [ $rc -eq 3 ] && grep -q "output folder '$full' has [0-9]* KiB free, and this run's journal and results need about [0-9]* KiB" "$out" &&
    [ -z "$(ls -A "$full")" ]; then
    ok "an output folder with too little free space: exit 3 before any task, with the figures; nothing written"
  else bad "too little free space" "exit $rc"; fi
  umount "$full"
  mount -t tmpfs -o size=2m tmpfs "$full"
  start_run 2 "$full"
  wait_progress 2
  dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
  wait $job
  rc=$?
  if [ $rc -eq 3 ] && grep -qE "(cannot write the journal .*No space left on device|cannot create results file .*the file system is full)" "$out" &&
    [ -z "$(ls "$full"/*.h5 2>/dev/null)" ] && [ -z "$(ls "$full"/*.tmp 2>/dev/null)" ] && [ -f "$(journal_of "$full")/run.json" ]; then
    ok "the disk filled mid-run: exit 3 naming the cause, no results file (final or temporary), the journal kept"
  else bad "a disk filling up" "exit $rc"; fi
  rm -f "$full/filler"
  mpirun_fidrun 2 $smoke --resume "$full" -q
  h5=$(newest "$full")
  if [ $rc -eq 0 ] && [ "$(attr "$h5" complete)" = 1 ] && cmp=$(same_as_ref "$h5"); then ok "space freed, --resume finished it: $cmp"
  else bad "--resume after a full disk" "exit $rc: ${cmp:-}"; fi
fi

# 10. NaN and infinities in an input tensor are reported per tensor (exit 2), never averaged
if need_py "non-finite weights"; then
  "$PY" - "$work/nan.safetensors" <<'PY'
import sys, numpy as np
from safetensors.numpy import save_file
w = np.random.default_rng(0).standard_normal((64, 128)).astype(np.float32)
w[3, 5] = np.nan; w[10, 0] = np.inf; w[60, 127] = np.nan
save_file({"model.layers.0.mlp.up_proj.weight": w}, sys.argv[1])
PY
  out=$work/nan.log
  $FIDRUN gptq --weights "$work/nan.safetensors" --tensor model.layers.0.mlp.up_proj.weight --bits 4 --group-size 32 \
    --out "$work/q.safetensors" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -q "nan.safetensors: tensor 'model.layers.0.mlp.up_proj.weight' has 3 non-finite values (2 NaN, 1 infinite), the first at row 3, column 5" "$out" &&
    [ ! -e "$work/q.safetensors" ]; then
    ok "a weight with 2 NaN and 1 Inf: exit 2 naming the file, tensor, counts and the first one's row and column"
  else bad "non-finite weights" "exit $rc"; fi
fi

# 12. containment: a model folder's files must be inside it, and regular files
if need_py "checkpoint containment"; then
  ct=$work/contain
  mkdir -p "$ct/_outside" "$ct/ck" "$ct/fifo" "$ct/zero" "$ct/hub/models--org--m/blobs" "$ct/hub/models--org--m/snapshots/abc"
  "$PY" - "$ct" <<'PY'
import sys, json, numpy as np
from safetensors.numpy import save_file
root = sys.argv[1]
rng = np.random.default_rng(3)
w = {f"model.layers.0.self_attn.{t}_proj.weight": rng.standard_normal((64, 64)).astype(np.float32) for t in "qo"}
save_file(w, f"{root}/_outside/model.safetensors")
save_file(w, f"{root}/hub/models--org--m/blobs/0123abcd")
json.dump({"weight_map": {k: "model-00001-of-00001.safetensors" for k in w}}, open(f"{root}/ck/model.safetensors.index.json", "w"))
PY
  ln -s ../_outside/model.safetensors "$ct/ck/model-00001-of-00001.safetensors"
  mkfifo "$ct/fifo/model.safetensors"
  ln -s /dev/zero "$ct/zero/model.safetensors"
  ln -s ../../blobs/0123abcd "$ct/hub/models--org--m/snapshots/abc/model.safetensors"
  for np in 1 2; do
    printf 'suites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$ct/ck" >"$work/contain.yaml"
    mpirun_fidrun $np "$work/contain.yaml" --out "$work/contain-out" -q
    if [ $rc -eq 2 ] && grep -q "'model-00001-of-00001.safetensors' is a link to '../_outside/model.safetensors', which resolves to .*_outside/model.safetensors, outside the folder" "$out" &&
      [ -z "$(ls "$work/contain-out" 2>/dev/null)" ]; then
      ok "a shard linked outside its folder is refused at -np $np (exit 2), naming the link and its target; nothing written"
    else bad "a shard linked outside the folder at -np $np" "exit $rc"; fi
  done
  for c in "fifo|is not a regular file (a FIFO)" "zero|is a link to '/dev/zero'"; do
    printf 'suites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$ct/${c%%|*}" >"$work/contain2.yaml"
    out=$work/contain2.log
    timeout 20 $FIDRUN validate "$work/contain2.yaml" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -qF "${c#*|}" "$out"; then ok "model.safetensors as a ${c%%|*}: exit 2 at once ('${c#*|}')"
    else bad "model.safetensors as a ${c%%|*}" "exit $rc"; fi
  done
  printf 'suites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$ct/hub/models--org--m/snapshots/abc" >"$work/hub.yaml"
  out=$work/hub.log
  $FIDRUN validate "$work/hub.yaml" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q "checkpoint .*snapshots/abc (no config.json: the layout is read from the tensor names" "$out"; then
    ok "a HuggingFace cache snapshot (files linked into its blobs/) is read; no config.json is said on the first line"
  else bad "a HuggingFace cache snapshot" "exit $rc: $(head -c 300 "$out")"; fi
fi

# 13. bad input found before the first task: no journal is left to block the next run
if need_py "bad input before the first task"; then
  nanck=$work/nanck
  mkdir -p "$nanck"
  "$PY" - "$nanck" <<'PY'
import sys, numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(4)
w = {f"model.layers.{l}.self_attn.{t}_proj.weight": rng.standard_normal((64, 64)).astype(np.float32) for l in range(2) for t in "qo"}
w["model.layers.1.self_attn.o_proj.weight"][7, 9] = np.inf
save_file(w, sys.argv[1] + "/model.safetensors")
PY
  printf 'name: nanck\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n' "$nanck" >"$work/nanck.yaml"
  mpirun_fidrun 2 "$work/nanck.yaml" --out "$work/nanck-out" --progress log
  if [ $rc -eq 2 ] && grep -q "model.layers.1.self_attn.o_proj.weight, before the run: .*1 non-finite value (0 NaN, 1 infinite), the first at row 7, column 9" "$out" &&
    ! grep -q 'elapsed · eta' "$out" && [ ! -e "$work/nanck-out/nanck.journal" ]; then
    ok "an infinite weight is found before the first task at -np 2: exit 2 naming tensor, row and column; no journal left"
  else bad "bad input before the first task" "exit $rc"; fi
fi

# 14. a run that stops on an error says so to the next; --fresh starts over and keeps the old journal
FIDRUN_INJECT_FAULT=model.layers.1.mlp.up_proj mpirun_fidrun 2 $smoke --out "$work/stopped" -q
mpirun_fidrun 2 $smoke --out "$work/stopped" -q
if [ $rc -eq 2 ] && grep -q "that stopped on an error: rank [01] ($(hostname)), exit 3: osft task model.layers.1.mlp.up_proj.weight: fault injected" "$out" &&
  grep -q "start over with --fresh" "$out"; then
  ok "the next run into a folder whose run stopped on an error names the error and the ways on (--resume, --fresh)"
else bad "the next run after a stop" "exit $rc: $(tail -c 400 "$out")"; fi
mpirun_fidrun 2 $smoke --out "$work/stopped" --fresh --progress off
kept=$(ls -d "$work/stopped"/smoke-qwen2.5-0.5b.journal.old-* 2>/dev/null | head -n1)
if [ $rc -eq 0 ] && [ -n "$kept" ] && [ -f "$kept/run.json" ] && grep -q "^--fresh: the earlier run's journal is kept as $kept" "$out" &&
  [ ! -e "$(journal_of "$work/stopped")" ] && cmp=$(same_as_ref "$(newest "$work/stopped")"); then
  ok "--fresh: the old journal kept as $(basename "$kept"), the run complete and equal to -np 1 ($cmp)"
else bad "--fresh" "exit $rc, kept '${kept:-}'"; fi

# 15. a rank stopped by SIGSTOP: the others notice its silence and end the job, naming it
start_run 4 "$work/sigstop" --set suites.osft.layers=8 --set suites.osft.task_timeout=5
wait_progress 2
victim=""
for p in $(pgrep -f "^$FIDRUN $smoke --out $work/sigstop( |\$)"); do
  [ "$(tr '\0' '\n' </proc/$p/environ 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')" = 2 ] && victim=$p
done
t0=$SECONDS
[ -n "$victim" ] && kill -STOP "$victim"
wait $job
rc=$?
secs=$((SECONDS - t0))
if [ -n "$victim" ] && [ $rc -eq 3 ] && [ $secs -le 12 ] &&
  grep -q "rank 2 ($(hostname)) has sent no heartbeat for [0-9.]* s, over the limit of 5 s" "$out" && [ -z "$(ranks_of "$work/sigstop")" ]; then
  ok "rank 2 of 4 stopped (SIGSTOP) under task_timeout 5: the job ended in ${secs}s (exit 3), naming rank 2 and its host; no rank left"
else bad "a stopped rank" "victim '${victim:-}', exit $rc after ${secs}s"; fi
# the others wait for it asleep: their CPU time while rank 2 is stopped and they are done
start_run 4 "$work/sigstop2" --set suites.osft.task_timeout=20
wait_progress 1 # past MPI's start-up, whose own waits are the library's
victim=""
for p in $(pgrep -f "^$FIDRUN $smoke --out $work/sigstop2( |\$)"); do
  [ "$(tr '\0' '\n' </proc/$p/environ 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')" = 3 ] && victim=$p
done
[ -n "$victim" ] && kill -STOP "$victim"
sleep 6 # the three others finish their tasks and wait for rank 3
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
others=$(pgrep -f "^$FIDRUN $smoke --out $work/sigstop2( |\$)" | grep -vx "${victim:-x}")
before=0; for p in $others; do before=$((before + $(cpu "$p"))); done
sleep 4
after=0; for p in $others; do after=$((after + $(cpu "$p"))); done
ticks=$(getconf CLK_TCK)
[ -n "$victim" ] && kill -CONT "$victim"
wait $job
rc=$?
used=$(awk -v t=$((after - before)) -v k="$ticks" 'BEGIN { printf "%.2f", t / k }')
if [ -n "$victim" ] && [ -n "$others" ] && awk -v u="$used" 'BEGIN { exit !(u < 0.4) }'; then
  ok "three ranks waiting 4 s for a stopped one used ${used} s of CPU in all: they sleep, not spin (exit $rc once it went on)"
else bad "waiting ranks sleep" "victim '${victim:-}', ${used} s of CPU in 4 s of waiting, exit $rc"; fi

# 16. costs that cannot be represented are refused with their line, never printed as inf
printf '1\n1e308\n3\n' >"$work/huge.txt"
{ head -c 1000000 /dev/zero | tr '\0' 1; printf '\n2\n'; } >"$work/long.txt"
for c in "balance --ranks 4 --costs $work/huge.txt|huge.txt:2: the costs add up to more than 1e+150" \
  "pack --budget 130000 --ranks 4 --algo ffd --lengths $work/huge.txt|huge.txt:2: a length of 1e308 tokens is over 2^53" \
  "balance --ranks 4 --costs $work/long.txt|long.txt:1: the value is over 255 characters long" \
  "balance --ranks 4 --dist equal --value 1e300 --n 100|distribution equal: item 0 is 1e+300"; do
  out=$work/huge.log
  $FIDRUN ${c%%|*} >"$out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -qF "${c#*|}" "$out" && ! grep -qw "inf" "$out"; then ok "fidrun ${c%% --*} refuses '${c#*|}' (exit 2)"
  else bad "fidrun ${c%%|*}" "exit $rc: $(head -c 300 "$out")"; fi
done

finish reliability
