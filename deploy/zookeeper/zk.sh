#!/usr/bin/env bash
# Run a ZooKeeper node, or a three-node ensemble on one machine, from Debian's `zookeeper`
# package: for trials, demos and tests of Aviary against a real quorum. Production runs one
# node per machine (see deploy/compose.yaml and the README's "Deploying").
#
#   zk.sh [OPTIONS] start [I] start the nodes (or node I) in the background, wait until they serve
#   zk.sh [OPTIONS] run       the same in the foreground; Ctrl-C or SIGTERM stops them all
#   zk.sh [OPTIONS] stop [I]  stop the nodes (or node I): SIGTERM, then SIGKILL after --stop-timeout
#   zk.sh [OPTIONS] status    each node's pid and mode (standalone, leader, follower);
#                             exit 0 only when every node serves
#   zk.sh [OPTIONS] hosts     print the connect string (host:port,host:port,...) for --zk
#
# Options (each also read from the environment variable in brackets):
#   -n, --nodes N            1 or 3 (ZK_NODES, default 1)
#   -d, --dir DIR            working directory: one nodeN/ per node with zoo.cfg, data,
#                            zookeeper.log and zookeeper.pid (ZK_DIR, default ./zk)
#   -H, --host ADDR          address the nodes bind and advertise (ZK_HOST, default 127.0.0.1)
#   -p, --client-port P      first client port; node i uses P+i-1 (ZK_CLIENT_PORT, 2181)
#       --peer-port P        first quorum port (ZK_PEER_PORT, 2888)
#       --election-port P    first leader-election port (ZK_ELECTION_PORT, 3888)
#       --client-ports LIST  explicit comma-separated ports, one per node (likewise
#       --peer-ports LIST    --peer-ports and --election-ports); they override the bases
#       --election-ports LIST
#   -w, --wait SECONDS       how long start waits for every node to serve (ZK_WAIT, 60)
#       --stop-timeout S     how long stop waits after SIGTERM before SIGKILL (ZK_STOP_TIMEOUT, 10)
#   -h, --help
#
# Also: ZK_JAR (default /usr/share/java/zookeeper.jar), ZK_CLASSPATH (extra jars, default
# slf4j-simple so the nodes log to their zookeeper.log), JAVA (default java), ZK_JVM_FLAGS.
# A node's settings come from zoo.cfg.in beside this script.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TEMPLATE="$HERE/zoo.cfg.in"
MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

NODES=${ZK_NODES:-1}
DIR=${ZK_DIR:-./zk}
HOST=${ZK_HOST:-127.0.0.1}
CLIENT_BASE=${ZK_CLIENT_PORT:-2181}
PEER_BASE=${ZK_PEER_PORT:-2888}
ELECTION_BASE=${ZK_ELECTION_PORT:-3888}
CLIENT_PORTS=${ZK_CLIENT_PORTS:-}
PEER_PORTS=${ZK_PEER_PORTS:-}
ELECTION_PORTS=${ZK_ELECTION_PORTS:-}
WAIT=${ZK_WAIT:-60}
STOP_TIMEOUT=${ZK_STOP_TIMEOUT:-10}
JAR=${ZK_JAR:-/usr/share/java/zookeeper.jar}
EXTRA_CP=${ZK_CLASSPATH-/usr/share/java/slf4j-simple.jar}
JAVA=${JAVA:-java}
# A small, quick-starting JVM: a trial node needs little heap and no C2 compiler.
JVM_FLAGS=${ZK_JVM_FLAGS:--Xms16m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true}

die() { echo "zk.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

COMMAND=
ONLY=  # start/stop: one node's number
STARTED=()  # pids of the nodes this invocation started
while [ $# -gt 0 ]; do
  case $1 in
    -n|--nodes) NODES=${2:?}; shift 2 ;;
    -d|--dir) DIR=${2:?}; shift 2 ;;
    -H|--host) HOST=${2:?}; shift 2 ;;
    -p|--client-port) CLIENT_BASE=${2:?}; shift 2 ;;
    --peer-port) PEER_BASE=${2:?}; shift 2 ;;
    --election-port) ELECTION_BASE=${2:?}; shift 2 ;;
    --client-ports) CLIENT_PORTS=${2:?}; shift 2 ;;
    --peer-ports) PEER_PORTS=${2:?}; shift 2 ;;
    --election-ports) ELECTION_PORTS=${2:?}; shift 2 ;;
    -w|--wait) WAIT=${2:?}; shift 2 ;;
    --stop-timeout) STOP_TIMEOUT=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    start|run|stop|status|hosts) [ -z "$COMMAND" ] || die "one command at a time (got $COMMAND and $1)"; COMMAND=$1; shift ;;
    [0-9]*) case $COMMAND in start|stop) [ -z "$ONLY" ] || die "one node at a time"; ONLY=$1; shift ;;
            *) die "only start and stop take a node number (got '$1')" ;; esac ;;
    *) die "unknown argument '$1' (zk.sh --help lists the options)" ;;
  esac
done
[ -n "$COMMAND" ] || { usage >&2; exit 2; }
case $NODES in 1|3) ;; *) die "--nodes must be 1 (a single node) or 3 (an ensemble), got '$NODES'" ;; esac
case $ONLY in ''|[1-9]) [ -z "$ONLY" ] || [ "$ONLY" -le "$NODES" ] || die "there is no node $ONLY of $NODES" ;;
  *) die "a node number is 1 to $NODES, got '$ONLY'" ;; esac
# selected: the nodes a start or stop acts on, in order (first to last, or last to first).
selected() { if [ -n "$ONLY" ]; then echo "$ONLY"; elif [ "${1:-}" = reverse ]; then seq "$NODES" -1 1; else seq 1 "$NODES"; fi; }
case $WAIT$STOP_TIMEOUT in *[!0-9]*) die "--wait and --stop-timeout take whole seconds" ;; esac

# port KIND I: node I's port of a kind, from the explicit list or base+I-1.
port() {
  local list base p
  case $1 in
    client) list=$CLIENT_PORTS base=$CLIENT_BASE ;;
    peer) list=$PEER_PORTS base=$PEER_BASE ;;
    election) list=$ELECTION_PORTS base=$ELECTION_BASE ;;
  esac
  if [ -n "$list" ]; then
    p=$(echo "$list" | cut -d, -f"$2")
    [ -n "$p" ] || die "--$1-ports '$list' has no port for node $2 of $NODES"
  else
    p=$((base + $2 - 1))
  fi
  case $p in ''|*[!0-9]*) die "$1 port of node $2 is not a number: '$p'" ;; esac
  echo "$p"
}

# four_letter PORT WORD: a four-letter word's answer from a node ('' if it does not answer).
four_letter() {
  local answer=
  if { exec 3<>"/dev/tcp/$HOST/$1"; } 2>/dev/null; then
    printf '%s' "$2" >&3
    answer=$(timeout 2 cat <&3 || true)
    exec 3<&- 3>&-
  fi
  printf '%s' "$answer"
}

# Check every port before anything is written or started.
for i in $(seq 1 "$NODES"); do
  for kind in client peer election; do port "$kind" "$i" >/dev/null || exit 2; done
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

mode() { four_letter "$(port client "$1")" srvr | sed -n 's/^Mode: //p'; }

# running PID: the process is a live ZooKeeper node. Not a zombie (a node started by an
# earlier `zk.sh start` has been re-parented, and its new parent may be slow to reap it), nor
# another program that was given the pid of a node long gone.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] || return 0  # no /proc: kill -0 is all there is
  case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) in Z|X|'') return 1 ;; esac
  tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q "$MAIN"
}

node_pid() {
  local f="$DIR/node$1/zookeeper.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  running "$pid" || return 1
  echo "$pid"
}

render() {  # render I: node I's directory and zoo.cfg
  local i=$1 d="$DIR/node$1" j
  mkdir -p "$d/data"
  sed -e "s|@DATA_DIR@|$d/data|" -e "s|@CLIENT_PORT@|$(port client "$i")|" -e "s|@HOST@|$HOST|" \
    "$TEMPLATE" > "$d/zoo.cfg"
  if [ "$NODES" -gt 1 ]; then
    echo "$i" > "$d/data/myid"
    for j in $(seq 1 "$NODES"); do
      echo "server.$j=$HOST:$(port peer "$j"):$(port election "$j")" >> "$d/zoo.cfg"
    done
  fi
}

start_node() {
  local i=$1 d="$DIR/node$1" pid cp=$JAR
  if pid=$(node_pid "$i"); then echo "node $i already running (pid $pid)"; return; fi
  [ -f "$JAR" ] || die "$JAR is missing: apt-get install zookeeper (or set ZK_JAR)"
  command -v "$JAVA" >/dev/null || die "java is missing: apt-get install default-jre-headless (or set JAVA)"
  [ -z "$EXTRA_CP" ] || [ ! -f "${EXTRA_CP%%:*}" ] || cp="$cp:$EXTRA_CP"
  render "$i"
  # setsid: the node is its own process group, so a Ctrl-C in the terminal reaches only
  # zk.sh, which stops the nodes in order.
  # shellcheck disable=SC2086 # JVM_FLAGS is a list of flags
  setsid "$JAVA" $JVM_FLAGS -Dzookeeper.log.dir="$d" -cp "$cp" "$MAIN" "$d/zoo.cfg" \
    </dev/null >>"$d/zookeeper.log" 2>&1 &
  echo $! > "$d/zookeeper.pid"
  STARTED+=("$!")
  echo "node $i starting: pid $!, client port $(port client "$i"), log $d/zookeeper.log"
}

wait_serving() {
  local deadline=$((SECONDS + WAIT)) i m pending
  while :; do
    pending=
    for i in $(selected); do
      node_pid "$i" >/dev/null || { echo "zk.sh: node $i exited while starting; its log: $DIR/node$i/zookeeper.log" >&2; return 1; }
      m=$(mode "$i")
      case $m in standalone|leader|follower) ;; *) pending="$pending $i" ;; esac
    done
    [ -n "$pending" ] || break
    [ $SECONDS -lt $deadline ] || { echo "zk.sh: node(s)$pending not serving after ${WAIT}s; logs in $DIR/node*/zookeeper.log" >&2; return 1; }
    sleep 0.2
  done
  echo "serving: $(hosts)"
}

stop_node() {
  local i=$1 pid deadline
  pid=$(node_pid "$i") || { rm -f "$DIR/node$i/zookeeper.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if running "$pid"; then
    echo "node $i (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while running "$pid"; do sleep 0.1; done
  fi
  rm -f "$DIR/node$i/zookeeper.pid"
  echo "node $i stopped"
}

stop_all() {  # the last node first, so the first stays up longest for clients
  local i
  for i in $(selected reverse); do stop_node "$i"; done
}

hosts() {
  local i out=
  for i in $(seq 1 "$NODES"); do out="$out${out:+,}$HOST:$(port client "$i")"; done
  echo "$out"
}

status() {
  local i pid m rc=0
  for i in $(seq 1 "$NODES"); do
    if pid=$(node_pid "$i"); then
      m=$(mode "$i")
      echo "node $i: pid $pid, $HOST:$(port client "$i"), ${m:-not serving}"
      [ -n "$m" ] || rc=1
    else
      echo "node $i: stopped"
      rc=1
    fi
  done
  return $rc
}

case $COMMAND in
  start)
    for i in $(selected); do start_node "$i"; done
    wait_serving || { stop_all; exit 1; }
    ;;
  run)
    # The trap only takes note: bash may run a trap inside a command substitution's subshell
    # that was forked as the signal came in, where its output and exit would be lost.
    STOP=
    trap 'STOP=1' INT TERM
    for i in $(seq 1 "$NODES"); do start_node "$i"; done
    if [ -z "$STOP" ]; then wait_serving || { stop_all; exit 1; }; fi
    # The nodes are this shell's children: `wait -n` returns when one exits or a trapped
    # signal arrives, and the loop forks nothing.
    while [ -z "$STOP" ]; do
      wait -n || true
      [ -z "$STOP" ] || break
      for pid in "${STARTED[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "zk.sh: a node (pid $pid) exited; stopping the others" >&2; stop_all; exit 1; }
      done
    done
    trap - INT TERM
    echo "stopping"
    stop_all
    ;;
  stop) stop_all ;;
  status) status ;;
  hosts) hosts ;;
esac
