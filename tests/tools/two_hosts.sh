#!/usr/bin/env bash
# Two hosts on this machine for the tests: network namespaces joined by a
# veth pair on a private /24 that exists only inside them, each host with
# its own hostname (a UTS namespace), /etc/hosts (ip netns exec's
# /etc/netns overlay) and sshd, and a client key and ssh config for root.
#
#   tests/tools/two_hosts.sh up DIR          # node1 and node2
#   tests/tools/two_hosts.sh exec DIR NODE COMMAND...   # run COMMAND as on NODE
#   tests/tools/two_hosts.sh down DIR
#
# After up: DIR/ssh_config (for ssh -F and Open MPI's plm_rsh_agent),
# DIR/hostfile (node1 slots=2, node2 slots=2), DIR/subnet (10.213.N.0/24).
# up exits 77 when this machine cannot make namespaces (not root, no ip or
# sshd, or the kernel refuses), 1 when something else fails.
set -u
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 up|down DIR | exec DIR NODE COMMAND..." >&2; exit 2; }

names() {
  # namespace names unique to DIR, so runs side by side do not meet
  local id
  id=$(printf '%s' "$dir" | cksum | cut -c1-6)
  ns1=fidrun-$id-node1 ns2=fidrun-$id-node2
}

as_node() { # NODE COMMAND...: in NODE's network namespace, with its hostname
  local node=$1
  shift
  names
  local ns=$ns1
  [ "$node" = node2 ] && ns=$ns2
  ip netns exec "$ns" unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$node" "$@"
}

down() {
  names
  for node in node1 node2; do
    [ -f "$dir/sshd-$node.pid" ] && kill "$(cat "$dir/sshd-$node.pid")" 2>/dev/null
  done
  for ns in "$ns1" "$ns2"; do
    # anything left in the namespace (sessions, daemons) goes with it
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  [ -f "$dir/made-etc-hosts" ] && rm -f /etc/hosts "$dir/made-etc-hosts"
  return 0
}

sshd_config() { # NODE ADDRESS
  cat <<EOF
ListenAddress $2
Port 22
HostKey $dir/host_key
PidFile $dir/sshd-$1.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
MaxStartups 64
MaxSessions 64
EOF
}

up() {
  [ "$(id -u)" -eq 0 ] || { echo "not root: network namespaces need root"; exit 77; }
  for prog in ip unshare ssh sshd ssh-keygen; do
    command -v "$prog" >/dev/null 2>&1 || [ -x "/usr/sbin/$prog" ] ||
      { echo "$prog not found (Debian: apt-get install iproute2 openssh-server openssh-client)"; exit 77; }
  done
  names
  mkdir -p "$dir"
  ip netns add "$ns1" 2>"$dir/netns.err" || { echo "cannot make a network namespace: $(cat "$dir/netns.err")"; exit 77; }
  ip netns add "$ns2" || { down; exit 1; }
  local net=10.213.$((RANDOM % 250 + 1))
  echo "$net.0/24" >"$dir/subnet"
  # the veth ends are made inside the namespaces: the host's own network never sees them
  ip link add fr1 netns "$ns1" type veth peer name fr2 netns "$ns2" || { down; exit 1; }
  ip -n "$ns1" addr add "$net.1/24" dev fr1 && ip -n "$ns2" addr add "$net.2/24" dev fr2 &&
    ip -n "$ns1" link set fr1 up && ip -n "$ns2" link set fr2 up &&
    ip -n "$ns1" link set lo up && ip -n "$ns2" link set lo up || { down; exit 1; }
  # ip netns exec binds each namespace's hosts file over /etc/hosts, which
  # must exist: a minimal root (debootstrap's minbase) has none, so it gets
  # Debian's usual one for the test, removed again by down
  if [ ! -e /etc/hosts ]; then
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >/etc/hosts && touch "$dir/made-etc-hosts"
  fi
  for ns in "$ns1" "$ns2"; do
    mkdir -p "/etc/netns/$ns"
    printf '127.0.0.1 localhost\n%s.1 node1\n%s.2 node2\n' "$net" "$net" >"/etc/netns/$ns/hosts"
  done
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519" ||
    { down; exit 1; }
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  cat >"$dir/ssh_config" <<EOF
Host node1 node2
  User root
  IdentityFile $dir/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  BatchMode yes
  LogLevel ERROR
  ConnectTimeout 5
  ServerAliveInterval 2
  ServerAliveCountMax 3
EOF
  printf 'node1 slots=2\nnode2 slots=2\n' >"$dir/hostfile"
  mkdir -p /run/sshd # sshd's privilege-separation folder
  local n=1
  for node in node1 node2; do
    sshd_config "$node" "$net.$n" >"$dir/sshd-$node.conf"
    as_node "$node" "$(command -v sshd || echo /usr/sbin/sshd)" -f "$dir/sshd-$node.conf" -E "$dir/sshd-$node.log" ||
      { echo "sshd on $node did not start: $(tail -n 3 "$dir/sshd-$node.log")"; down; exit 1; }
    n=$((n + 1))
  done
  for node in node1 node2; do # each host reaches the other by name, over ssh
    local other=node2
    [ "$node" = node2 ] && other=node1
    local seen=""
    for _ in $(seq 20); do
      seen=$(as_node "$node" ssh -F "$dir/ssh_config" "$other" hostname 2>&1) && [ "$seen" = "$other" ] && break
      sleep 0.25
    done
    [ "$seen" = "$other" ] || { echo "ssh from $node to $other: $seen"; down; exit 1; }
  done
}

case $cmd in
up) up ;;
down) down ;;
exec)
  [ $# -ge 4 ] || { echo "usage: $0 exec DIR NODE COMMAND..." >&2; exit 2; }
  node=$3
  shift 3
  as_node "$node" "$@"
  ;;
*) echo "usage: $0 up|down DIR | exec DIR NODE COMMAND..." >&2; exit 2 ;;
esac
