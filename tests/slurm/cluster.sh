#!/usr/bin/env bash
# A single-node SLURM cluster for the tests, on loopback only, in a directory of its own.
#
#   tests/slurm/cluster.sh start DIR CTLD_PORT SLURMD_PORT   # prints DIR/slurm.conf
#   tests/slurm/cluster.sh stop DIR
#
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and root (slurmd
# starts the jobs' processes). Everything lives in DIR: a fresh munge key and munged on its
# own socket, slurm.conf, slurmctld's state, slurmd's spool, pid and log files; nothing in
# /etc or /var is read or written. The daemons bind 127.0.0.1 only (NoInAddrAny), at the
# given ports. The node declares 8 CPUs and 16 GB whatever the machine has
# (config_overrides), so that a few single-core jobs run side by side on a small machine;
# cgroup-free (proctrack/linuxproc, task/none), no accounting.
set -euo pipefail

cmd=${1:?usage: cluster.sh start DIR CTLD_PORT SLURMD_PORT | stop DIR}
dir=${2:?DIR}

stop() {
    export SLURM_CONF="$dir/slurm.conf"
    for daemon in slurmd slurmctld; do
        if [[ -s "$dir/$daemon.pid" ]]; then
            pid=$(cat "$dir/$daemon.pid")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    if [[ -S "$dir/munge.socket" ]]; then
        munged --stop --socket="$dir/munge.socket" >/dev/null 2>&1 || true
    fi
}

if [[ "$cmd" == stop ]]; then
    stop
    exit 0
fi

ctld_port=${3:?CTLD_PORT}
slurmd_port=${4:?SLURMD_PORT}
for exe in munged mungekey slurmctld slurmd sbatch; do
    command -v "$exe" >/dev/null || { echo "$exe not found (apt-get install slurm-wlm munge)"; exit 3; }
done
mkdir -p "$dir/state" "$dir/spool" "$dir/logs"
chmod 755 "$dir"
mungekey --create --keyfile="$dir/munge.key" --force
chmod 600 "$dir/munge.key"
munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"

cat > "$dir/slurm.conf" <<EOF
ClusterName=deorbit-tests
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
KillWait=5
MinJobAge=600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 RealMemory=16000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$dir/slurm.conf"
if ! slurmctld -i || ! slurmd -N localhost; then
    stop
    echo "a SLURM daemon did not start; its log:"; tail -n 5 "$dir"/slurm*.log 2>/dev/null
    exit 4
fi
# Ready when the node takes jobs.
for _ in $(seq 100); do
    if [[ "$(sinfo -h -N -o %t 2>/dev/null)" == idle ]]; then
        echo "$SLURM_CONF"
        exit 0
    fi
    sleep 0.2
done
state=$(sinfo -h -N -o %t 2>&1 || true)
stop
echo "the node did not become idle within 20 s (state: $state); the logs:"
tail -n 5 "$dir"/slurm*.log 2>/dev/null
exit 5
