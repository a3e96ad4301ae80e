"""What the Python benchmarks under bench/ share: failing loudly, the local stack's
environment, CPU accounting that flags a busy machine, and one wrk run parsed."""
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def die(name, message):
    print(f"{name}: {message}", file=sys.stderr)
    sys.exit(1)


def run(name, *args, env=None):
    """Runs a command, returns its stdout; any failure ends the benchmark with its output."""
    result = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        die(name, f"{shlex.join(map(str, args))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def positive(name, variable, default):
    text = os.environ.get(variable, str(default))
    if not text.isdigit() or int(text) < 1:
        die(name, f"{variable} must be a positive integer, not {text!r}")
    return int(text)


def stack_environment(name):
    """(environment, started): the local stack's variables, starting it when it is not running
    (the caller stops it again when `started`)."""
    stack = ROOT / "scripts" / "stack"
    started = False
    if subprocess.run([stack, "status"], capture_output=True).returncode != 0:
        print("the local stack is not (fully) running: scripts/stack start ...", flush=True)
        run(name, stack, "start")
        started = True
    env = dict(os.environ)
    for line in run(name, stack, "env").splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = (shlex.split(value) or [""])[0]
    return env, started


def cpu_ticks():
    """(busy, total) jiffies of all cores, from /proc/stat."""
    fields = [int(x) for x in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name, url, connections, seconds, ours=(), headers=()):
    """One `wrk -t2 --latency` run: req/s, p50/p99 in ms, errors (socket errors and non-2xx/3xx),
    and `other`: the share of all cores used by processes that are neither wrk nor `ours`
    (pids of the servers under test) — above ~0.1 the machine was not quiet."""
    busy0, total0 = cpu_ticks()
    ours0 = process_ticks(ours)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    process = subprocess.Popen(command + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wrk_ticks = 0
    while process.poll() is None:
        wrk_ticks = max(wrk_ticks, process_ticks([process.pid]))
        time.sleep(0.2)
    output = process.stdout.read()
    busy1, total1 = cpu_ticks()
    used = process_ticks(ours) - ours0 + wrk_ticks
    other = max(0.0, (busy1 - busy0 - used) / max(1, total1 - total0))
    if process.returncode != 0 or "Requests/sec" not in output:
        die(name, f"wrk failed on {url}:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50": milliseconds(re.search(r"50%\s+([\d.]+\w+)", output)[1]),
        "p99": milliseconds(re.search(r"99%\s+([\d.]+\w+)", output)[1]),
        "errors": errors, "other": other, "raw": output,
    }


def pids_of(pid_file):
    """The pid in `pid_file` and its children's (nginx master and workers, php-fpm pool)."""
    try:
        master = pathlib.Path(pid_file).read_text().strip()
    except OSError:
        return []
    children = subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout
    return [int(master)] + [int(pid) for pid in children.split()]


def write_result(bench, rows):
    """Writes the headline comparisons as JSON to the file named by $BENCH_JSON, for bench/run-all;
    nothing without it. Each row: work, baseline, unit, exthost, base, ratio (oriented as the
    benchmark prints it: >= 1.0 means exthost is at least as good), note."""
    path = os.environ.get("BENCH_JSON")
    if path:
        pathlib.Path(path).write_text(json.dumps({"bench": bench, "rows": rows}) + "\n")
