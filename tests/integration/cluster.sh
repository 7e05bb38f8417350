#!/usr/bin/env bash
# Two nodes on one machine: node1 and node2 are network and UTS namespaces
# joined by a veth pair on a private /24, each with its own sshd
# (tests/tools/two_hosts.sh). mpirun --hostfile runs fidrun with two ranks
# on each; the ranks table must show the two hosts, local ranks 0 and 1 on
# each, and a core each (--bind-to core); the figures must equal the
# single-host run's; killing the ssh link to node2 mid-run must end the job
# promptly with an error, leaving no rank behind.
# Ends with "cluster: N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

echo "cluster (two hosts in network namespaces, mpirun --hostfile over ssh)"
hosts=$work/hosts
bring_up cluster "two-host" "tests/tools/two_hosts.sh up '$hosts'" "tests/tools/two_hosts.sh down '$hosts'"
subnet=$(cat "$hosts/subnet")
ok "node1 and node2 up: namespaces on $subnet, each with its hostname, /etc/hosts and sshd; ssh by name both ways"

# the namespaces' traffic has nowhere to go but the other namespace
routes=$(tests/tools/two_hosts.sh exec "$hosts" node1 ip route; tests/tools/two_hosts.sh exec "$hosts" node2 ip route)
links=$(tests/tools/two_hosts.sh exec "$hosts" node1 ip -br link; tests/tools/two_hosts.sh exec "$hosts" node2 ip -br link)
if ! grep -q default <<<"$routes" && [ "$(grep -c "^${subnet%/*}" <<<"$routes")" -eq 2 ] &&
  [ "$(grep -vc '^lo ' <<<"$links")" -eq 2 ] && ! ip -br link | grep -q '^fr[12]@'; then
  ok "traffic stays inside: each namespace has lo and its veth end, one route ($subnet), no default route; the host has neither end"
else bad "the namespaces are closed" "routes: $routes; links: $links"; fi

# on_node1 ARGS...: mpirun from node1 over the hostfile, two ranks per node, a core each
# (ssh passes no environment, so what shapes the numbers or the checks travels to node2 too:
# OpenBLAS's settings, as OPENBLAS_CORETYPE picks its kernels and so the last bits of an SVD,
# and the sanitizers' of a SANITIZE build)
on_node1() {
  local forward=(-x OPENBLAS_NUM_THREADS=1) v
  for v in $(compgen -e | grep '^OPENBLAS_') ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
    [ -n "${!v:-}" ] && [ "$v" != OPENBLAS_NUM_THREADS ] && forward+=(-x "$v")
  done
  tests/tools/two_hosts.sh exec "$hosts" node1 mpirun --hostfile "$hosts/hostfile" -np 4 --map-by ppr:2:node \
    --bind-to core --mca plm_rsh_agent "ssh -F $hosts/ssh_config" --mca btl tcp,vader,self \
    --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet" "${forward[@]}" "$@"
}

# 1. four ranks over two hosts
out=$work/two-hosts.log
timeout $LIMIT bash -c "$(declare -f on_node1); hosts='$hosts' subnet='$subnet'; on_node1 $FIDRUN $smoke --only 'model.layers.0.*' --out '$work/two'" >"$out" 2>&1
rc=$?
check_rc "fidrun on 4 ranks over node1 and node2 passes its checks" 0
h5=$(newest "$work/two")
if [ -n "$h5" ] && grep -q "4 ranks on 2 hosts" "$out" && msg=$($FIDRUN report "$h5" --format csv -o "$work/two-csv" 2>&1) &&
  got=$(tail -n +2 "$work/two-csv/ranks.csv" | cut -d, -f1-4 | tr '\n' ' ') &&
  [ "$got" = "0,node1,0,0 1,node1,1,1 2,node2,0,0 3,node2,1,1 " ]; then
  ok "the ranks table: ranks 0-1 on node1, 2-3 on node2, local ranks 0 and 1 on each, bound to cores 0 and 1 ($got)"
else bad "hosts, local ranks and bindings per node" "got '${got:-}' ${msg:-}"; fi

mpirun_fidrun 1 $smoke --only 'model.layers.0.*' --out "$work/one" -q
if [ $rc -eq 0 ] && cmp=$($H5 compare "$(newest "$work/one")" "$h5" osft 2>&1); then
  ok "the figures over two hosts equal the single-host -np 1 run's ($cmp)"
else bad "two-host figures against one host's" "exit $rc: ${cmp:-}"; fi

# 2. the ssh link to node2 killed mid-run: the job ends, with an error, and no rank is left
out=$work/killed.log
timeout $LIMIT bash -c "$(declare -f on_node1); hosts='$hosts' subnet='$subnet'; on_node1 $FIDRUN $smoke --set suites.osft.layers=8 --out '$work/killed'" >"$out" 2>&1 &
job=$!
for _ in $(seq 300); do grep -q " elapsed · eta " "$out" && break; sleep 0.1; done
if ! grep -q " elapsed · eta " "$out"; then
  bad "a run to cut" "no progress line within 30 s"
else
  t0=$SECONDS
  pkill -9 -f "ssh -F $hosts/ssh_config -x node2"
  kill_rc=$?
  ended=""
  for _ in $(seq 300); do kill -0 $job 2>/dev/null || { ended=1; break; }; sleep 0.1; done
  wait $job 2>/dev/null
  rc=$?
  secs=$((SECONDS - t0))
  # the ranks the launcher signalled finish their task first: give them the 10 s the issue allows
  for _ in $(seq 100); do pgrep -f "fidrun $smoke --set suites.osft.layers=8" >/dev/null || break; sleep 0.1; done
  left=$(pgrep -f "fidrun $smoke --set suites.osft.layers=8" | tr '\n' ' ')
  if [ $kill_rc -eq 0 ] && [ -n "$ended" ] && [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ -z "$left" ] &&
    grep -qi "daemon" "$out" && [ -z "$(newest "$work/killed")" ]; then
    ok "ssh link to node2 killed mid-run: the job ended in ${secs}s, exit $rc with Open MPI's daemon error; no rank left, no results file"
  else bad "killing the ssh link" "pkill $kill_rc, ended '${ended}', exit $rc, left '$left'"; fi
fi

finish cluster
