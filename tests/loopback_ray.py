"""A real multi-node Ray cluster on loopback addresses, started the way users start one (``ray start``).

Each node is a ``ray start --block`` process in its own session, started from its own working
directory, with its own loopback IP (127.0.1.1 for the head; Ray replaces 127.0.0.1 by the
machine's address). Its temp folder is private, so ``ray.init()`` elsewhere on the machine never
finds it, and ``stop()`` ends exactly the processes it started (never ``ray stop``, which would end
every Ray on the machine). ``blind_to=PATH`` starts a node in its own mount namespace with an
empty file system mounted over PATH: that node cannot see what lies there.

    cluster = LoopbackCluster(tmp_path)
    cluster.add_node("127.0.1.1", cpus=2)            # the head
    cluster.add_node("127.0.1.2", cpus=2)
    ... RAY_ADDRESS=cluster.address ...
    cluster.stop()
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_SECONDS = 90


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unshare_prefix():
    """The command prefix that gives a process its own mount namespace, or None where that is impossible."""
    if shutil.which("unshare") is None:
        return None
    prefix = ["unshare", "--mount", "--propagation", "private"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    probe = subprocess.run(prefix + ["sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else None


class LoopbackCluster:
    def __init__(self, folder, environment=None):
        self.folder = Path(folder)
        # Ray's socket paths must stay under 108 bytes (AF_UNIX): a short folder of its own, not pytest's.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray-"))
        self.environment = dict(os.environ if environment is None else environment, RAY_AUTH_MODE="disabled",
                                RAY_USAGE_STATS_ENABLED="0")
        self.environment.pop("RAY_ADDRESS", None)
        self.address = None
        self.nodes = {}   # ip -> Popen

    def add_node(self, ip, cpus=2, blind_to=None):
        """Start a node (the first one is the head) and wait until the cluster lists it."""
        command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--node-ip-address", ip,
                   "--num-cpus", str(cpus), "--num-gpus", "0", "--disable-usage-stats",
                   "--dashboard-agent-listen-port", str(free_port()), "--object-store-memory", str(80 * 2 ** 20)]
        if self.address is None:
            port = free_port()
            command += ["--head", "--port", str(port), "--temp-dir", str(self.temp_dir), "--include-dashboard",
                        "false", "--ray-client-server-port", str(free_port())]
            self.address = f"{ip}:{port}"
        else:
            command += ["--address", self.address]
        if blind_to is not None:
            prefix = unshare_prefix()
            if prefix is None:
                raise RuntimeError("no mount namespaces here (unshare)")
            command = prefix + ["sh", "-c", 'mount -t tmpfs tmpfs "$0" && exec "$@"', str(blind_to)] + command
        home = self.folder / f"cwd-{ip}"
        home.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / f"node-{ip}.log", "wb")
        self.nodes[ip] = subprocess.Popen(command, cwd=home, env=self.environment, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._wait_for(ip)

    def _wait_for(self, ip):
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.nodes[ip].poll() is not None:
                raise RuntimeError(f"ray node {ip} exited:\n{self.log(ip)}")
            if "Ray runtime started" in self.log(ip):
                return
            time.sleep(0.5)
        raise RuntimeError(f"ray node {ip} did not start within {START_SECONDS} s:\n{self.log(ip)}")

    def log(self, ip):
        return (self.folder / f"node-{ip}.log").read_text(errors="replace")[-3000:]

    def kill_node(self, ip):
        """SIGKILL a node's raylet and its helpers at once (a machine that dies); its workers follow."""
        process = self.nodes.pop(ip)
        _kill_tree(process.pid)
        process.wait(10)

    def stop(self):
        for ip in list(self.nodes)[::-1]:
            self.kill_node(ip)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _kill_tree(pid):
    """SIGKILL the session of ``pid`` and every process below it (Ray workers start sessions of their own)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for member in tree:
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass
