"""Where the wall time of a command run against the zoo goes: the command's own CPU time, the
zoo's servers' CPU time (every process of each issuer's and backend's process group, from
deploy/zoo/run/zoo.json), and the rest of the machine's busy time, next to the wall time and the
number of cores. Used by scripts/zoo-score and scripts/zoo-audit-bench.

An audit of the whole zoo keeps every core busy (the servers answer tens of thousands of requests),
so its wall time is about (authprobe's CPU + the servers' CPU + the rest) / cores: a slow run is
explained by which of the three grew.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy" / "zoo"))
import zoo  # noqa: E402  (deploy/zoo/zoo.py: the zoo's runner, for its /proc reading)

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    wall: float
    own_cpu: float
    zoo_cpu: float
    other_cpu: float
    cores: int

    def describe(self) -> str:
        return (f"{self.wall:.1f} s wall on {self.cores} cores; CPU: authprobe {self.own_cpu:.1f} s, "
                f"the zoo's servers {self.zoo_cpu:.1f} s, rest of the machine {self.other_cpu:.1f} s")

    def as_dict(self) -> dict:
        return {"wall_s": round(self.wall, 2), "authprobe_cpu_s": round(self.own_cpu, 2),
                "zoo_cpu_s": round(self.zoo_cpu, 2), "other_cpu_s": round(self.other_cpu, 2),
                "cores": self.cores}


def zoo_groups(state_file: Path) -> list[int]:
    """The process group of every issuer and backend of the running zoo (each runs in its own)."""
    state = json.loads(state_file.read_text())
    pids = []
    for issuer in state["issuers"].values():
        try:
            pids.append(int(Path(issuer["pid"]).read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    pids += [int(b["pid"]) for b in state["backends"].values()]
    return pids


def group_cpu(groups: set[int]) -> float:
    """CPU seconds (user + system) used so far by the live processes of these process groups."""
    ticks = sum(int(f[11]) + int(f[12]) for _, f in zoo.proc_stats() if int(f[2]) in groups)
    return ticks / TICKS


def machine_busy() -> float:
    """CPU seconds every core has spent busy since boot (all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICKS


def timed_run(cmd: list[str], log: Path, cwd: Path, state_file: Path) -> tuple[int, Timing]:
    """Runs cmd (output to log) and accounts for its wall time."""
    groups = set(zoo_groups(state_file))
    zoo_before, busy_before = group_cpu(groups), machine_busy()
    started = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    zoo = group_cpu(groups) - zoo_before
    own = usage.ru_utime + usage.ru_stime
    busy = machine_busy() - busy_before
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    return code, Timing(wall, own, zoo, max(0.0, busy - own - zoo), os.cpu_count() or 1)
