#!/usr/bin/env bash
# Tests scripts/sweep_slurm.sbatch on a real single-node Slurm cluster that this script starts
# and stops itself: munged, slurmctld and slurmd (Debian's `munge` and `slurm-wlm`, installed
# by scripts/setup.sh; this script installs nothing), all under one temporary folder, on free
# ports, with no systemd, no cgroups and no accounting database. It submits the sbatch script
# as a two-task array job over tests/data/sweep_slurm/sweep.toml (four quick cases), waits for
# it, merges the two shards with `asslb sweep merge` and checks that the merged sweep.csv has
# the rows of a plain `asslb sweep` of the same file (wall times aside, as tests/sweep.rs
# judges it). The daemons are always stopped on exit. Exits non-zero, with the daemons' logs,
# when anything fails. Needs root (slurmd launches the jobs).
#
#   ASSLB=target/release/asslb ./scripts/test_slurm.sh      # run by tests/slurm.rs
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "test_slurm: $*" >&2
    exit 1
}

# The Slurm and munge daemons live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

# 1. What the test needs: the four daemons and clients, root, and the asslb binary.
for tool in munged slurmctld slurmd sbatch sinfo scontrol; do
    command -v "$tool" >/dev/null 2>&1 \
        || fail "no $tool on PATH; run ./scripts/setup.sh (it installs Debian's slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] \
    || fail "must run as root (slurmd starts the jobs); set ASSLB_SKIP_SLURM=1 to skip tests/slurm.rs"
ASSLB=${ASSLB:-$PWD/target/release/asslb}
[ -x "$ASSLB" ] || fail "no asslb binary at $ASSLB; run cargo build --release or set ASSLB"
ASSLB=$(realpath "$ASSLB")
export ASSLB
SWEEP=tests/data/sweep_slurm/sweep.toml
started=$SECONDS

# 2. One temporary folder for everything. munged requires every folder above its socket to be
# searchable by all (755); the key sits in a folder of its own that only root can read.
T=$(mktemp -d "${TMPDIR:-/tmp}/asslb-slurm.XXXXXX")
chmod 755 "$T"
mkdir -p "$T/munge" "$T/key" "$T/state" "$T/spool" "$T/log"
chmod 755 "$T/munge"
chmod 700 "$T/key"
pids=()

# Always: stop the daemons we started (by their process ids), show their logs when the test
# failed, and remove the temporary folder.
cleanup() {
    local status=$?
    local pid
    # Jobs still running (a failed or timed-out test) are cancelled first, so that no job
    # step outlives its slurmd; scancel talks only to this private cluster (SLURM_CONF).
    if [ -n "${SLURM_CONF:-}" ] && scontrol ping >/dev/null 2>&1; then
        scancel --quiet --user="$(id -un)" 2>/dev/null || true
        wait_for 10 no_jobs || true
    fi
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        local log
        for log in "$T"/log/*; do
            [ -e "$log" ] || continue
            echo "--- $log (last 40 lines)" >&2
            tail -n 40 "$log" >&2
        done
    fi
    rm -rf "$T"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
    local seconds=$1
    shift
    local tries=$((seconds * 5))
    while ! "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.2
    done
}

# True when the private cluster has no job left.
no_jobs() { [ -z "$(squeue --noheader --format=%i 2>/dev/null)" ]; }

# A TCP port on 127.0.0.1 that nothing listens on (so a running Slurm or another copy of this
# test is not disturbed); bash's /dev/tcp connects only when something listens.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 30000))
        if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# 3. munge: a fresh random key and a daemon on a private socket (Slurm signs its messages with it).
dd if=/dev/urandom of="$T/key/munge.key" bs=1024 count=1 status=none
chmod 600 "$T/key/munge.key"
munged --foreground --socket="$T/munge/munge.socket" --key-file="$T/key/munge.key" \
    --pid-file="$T/munge/munged.pid" --seed-file="$T/key/munged.seed" \
    --log-file="$T/log/munged.log" >>"$T/log/munged.out" 2>&1 &
pids+=($!)
wait_for 10 test -S "$T/munge/munge.socket" || fail "munged did not start"

# 4. slurm.conf for one node, this machine, with the CPUs and memory slurmd finds (`slurmd -C`).
# No cgroups (proctrack/linuxproc, task/none), no accounting database; completed jobs are
# written to a text file (jobcomp/filetxt) that the check reads.
node=$(hostname -s)
node_line=$(slurmd -C | head -n 1)
case "$node_line" in
    NodeName=*) ;;
    *) fail "slurmd -C did not describe this node: $node_line" ;;
esac
ctld_port=$(free_port) || fail "no free port for slurmctld"
slurmd_port=$(free_port) || fail "no free port for slurmd"
[ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$((ctld_port + 1))
export SLURM_CONF="$T/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=asslbtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/log/jobcomp.txt
MpiDefault=none
ReturnToService=2
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

# 5. The controller and the node daemon, in the foreground of background jobs (so their ids
# are ours to stop); the node must come up idle.
slurmctld -D >>"$T/log/slurmctld.out" 2>&1 &
pids+=($!)
wait_for 30 scontrol ping || fail "slurmctld did not answer"
slurmd -D >>"$T/log/slurmd.out" 2>&1 &
pids+=($!)
node_idle() { [ "$(sinfo --noheader --nodes="$node" --format=%T)" = idle ]; }
wait_for 60 node_idle || fail "the node did not come up idle: $(sinfo 2>&1)"
echo "test_slurm: $(sinfo --noheader --format='partition %P, %D node %N %T, %c CPUs')"

# 6. The array job: scripts/sweep_slurm.sbatch unchanged, two tasks. Its #SBATCH line asks for
# 4 CPUs per task, which a small test node may not have; the command line's 1 overrides it.
results="$T/results"
if ! timeout 300 sbatch --wait --array=1-2 --cpus-per-task=1 \
    --output="$T/log/task-%A_%a.out" scripts/sweep_slurm.sbatch "$SWEEP" "$results" \
    >"$T/log/sbatch.out" 2>&1; then
    fail "the array job failed or timed out: $(cat "$T/log/sbatch.out")"
fi
# Both tasks ran through Slurm and completed (the job completion record).
completed=$(grep -c 'JobState=COMPLETED' "$T/log/jobcomp.txt" || true)
[ "$completed" -eq 2 ] || fail "expected 2 completed array tasks, found $completed: $(cat "$T/log/jobcomp.txt")"
awk '{ line = "test_slurm:"
       for (i = 1; i <= NF; i++) if ($i ~ /^(JobId|ArrayJobId|ArrayTaskId|JobState|ExitCode|NodeList)=/) line = line " " $i
       print line }' "$T/log/jobcomp.txt"
for task in 1 2; do
    [ -s "$results/shard-$task/sweep.csv" ] || fail "task $task wrote no $results/shard-$task/sweep.csv"
done

# 7. Merge the shards and compare with the unsharded sweep run here: the same rows, the last
# column (each case's wall time) aside.
"$ASSLB" sweep merge "$results"/shard-* --out "$T/merged" >/dev/null
"$ASSLB" sweep "$SWEEP" --out "$T/whole" --quiet >/dev/null
without_wall_time() { sed 's/,[^,]*$//' "$1"; }
rows=$(without_wall_time "$T/whole/sweep.csv" | wc -l)
[ "$rows" -eq 5 ] || fail "the unsharded sweep has $rows lines, expected a header and 4 cases"
if ! diff <(without_wall_time "$T/merged/sweep.csv") <(without_wall_time "$T/whole/sweep.csv") >&2; then
    fail "the merged shards differ from the unsharded sweep (diff above: < merged, > unsharded)"
fi
echo "test_slurm: ok: the 2 Slurm array tasks' shards merge into the unsharded sweep.csv" \
    "($((rows - 1)) cases, $((SECONDS - started)) s)"
