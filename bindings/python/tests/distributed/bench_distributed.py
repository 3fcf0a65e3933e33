"""Throughput of fiie.distributed on this machine (asserts nothing).

Protects the same generated folder (640x480 crops of the composed test
photo, several faces each) in rounds, each round running, one after the
other:
  - serial: the task function in this process, no Dask (the peer);
  - 2 processes: the task function in two plain processes (no Dask), each
    on half of the files: the speedup two processes can get on this
    machine right now (a shared machine rarely gives two whole cores);
  - 1 worker / 2 workers: fiie.distributed.encrypt on local clusters of
    one and of two worker processes (one thread each), as --local starts
    them (fiie's lean Dask configuration);
  - with --defaults, also 1 worker / 2 workers on clusters with Dask's
    default configuration (what the lean one saves);
and the same three with --regions (no detection: a cheap task, where the
scheduler's cost shows). Medians over the rounds; scheduler overhead per
file = (1-worker time - serial time) / files. Also the bare Dask cost of
an empty task, the bytes read and written per file, and the CPU time the
hypervisor took from this machine (steal) during the rounds.

    meson test -C build --benchmark distributed
    # or: FIIE_LIBRARY=build/lib/libfiie.so.1 PYTHONPATH=bindings/python \\
    #     python3 bindings/python/tests/distributed/bench_distributed.py --files 48
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fiie  # noqa: E402
import fiie.distributed as fd  # noqa: E402
from fiie.distributed import _tasks  # noqa: E402
from fiie.distributed._cluster import local_cluster as lean_cluster  # noqa: E402
from test_cluster import crop_to_png, write_key, DATA  # noqa: E402


def make_folder(root, n):
    """n 640x480 crops at different offsets of faces_1280x720.png."""
    root.mkdir(parents=True)
    with fiie.Image.open(DATA / "images" / "faces_1280x720.png") as img:
        for i in range(n):
            x = (i * 97) % (img.width - 640)
            y = (i * 53) % (img.height - 480)
            crop_to_png(img, (x, y, 640, 480), root / ("p%03d.png" % i))
    return sorted(root.iterdir())


def noop(i):
    return i


def run_jobs(settings, jobs):
    """One process's share of the plain two-process peer."""
    res = _tasks.run_batch(settings, jobs)
    return sum(r.status == "ok" for r in res), os.getpid(), time.process_time()


def steal_seconds():
    """CPU time taken by the hypervisor from this machine so far (all CPUs)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def local_cluster(w):
    """The local cluster of --local w (fiie's lean Dask settings), quiet."""
    return lean_cluster(w, silence_logs=50)


def defaults_cluster(w):
    """A local cluster like fiie.distributed's with Dask's default settings."""
    from distributed import LocalCluster
    return LocalCluster(n_workers=w, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address="127.0.0.1:0", silence_logs=50)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def cpu_seconds(client):
    """CPU time used so far by the client's worker processes."""
    return sum(client.run(time.process_time).values()) if client else time.process_time()


def task_thread_seconds():
    """CPU time used so far by this worker's task threads (the rest of a
    worker's CPU time is Dask's: its event loop, comms, heartbeats)."""
    import threading
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for t in threading.enumerate():
        if t.name.startswith("Dask-Default-Threads"):
            try:
                with open("/proc/self/task/%d/stat" % t.native_id) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                pass
    return total


def overhead_cpu_seconds(client):
    """CPU time used so far by the scheduler and by this (client) process;
    a LocalCluster's scheduler runs in the client's process (then it is
    all counted as the client's)."""
    if client.run_on_scheduler(os.getpid) == os.getpid():
        return 0.0, time.process_time()
    return client.run_on_scheduler(time.process_time), time.process_time()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--defaults", action="store_true",
                    help="also run clusters with Dask's default configuration")
    args = ap.parse_args()
    from distributed import Client

    with tempfile.TemporaryDirectory() as t:
        d = pathlib.Path(t)
        files = make_folder(d / "in", args.files)
        key_file = write_key(d / "k.key", os.urandom(32))
        n = len(files)
        regions = [("ellipse", 200, 120, 180, 220)]
        settings = {
            "detect": _tasks.Settings("encrypt", key_file=key_file,
                                      detector=_tasks.detector_settings()),
            "regions": _tasks.Settings("encrypt", key_file=key_file,
                                       regions=tuple(regions)),
        }
        times = {}
        cpu = {}
        out = d / "out"

        def fresh():
            shutil.rmtree(out, ignore_errors=True)
            return str(out)

        def jobs_for(o):
            return [(i, str(p), os.path.join(o, p.stem + "_fiie.png"), str(p), "")
                    for i, p in enumerate(files)]

        def serial(mode):
            s = settings[mode]
            s.run_id = "bench"
            res = _tasks.run_batch(s, jobs_for(fresh()))
            assert all(r.status == "ok" for r in res), [r.message for r in res]

        import multiprocessing
        pool = multiprocessing.get_context("spawn").Pool(2)
        pool_times = {}   # pid -> CPU seconds so far

        def pool_cpu():
            return sum(pool_times.values())

        def two_processes(mode):
            s = settings[mode]
            s.run_id = "bench"
            jobs = jobs_for(fresh())
            done = pool.starmap(run_jobs, [(s, jobs[0::2]), (s, jobs[1::2])])
            assert sum(ok for ok, _, _ in done) == n
            pool_times.update({pid: c for _, pid, c in done})

        def cluster(mode, client, inputs=(str(d / "in"),), expect=n):
            kw = {"regions": regions} if mode == "regions" else {}
            s = fd.encrypt(list(inputs), recursive=True, out_dir=fresh(), key_file=key_file,
                           client=client, **kw)
            assert s.counts["ok"] == expect, s.counts

        def measure(mode, name, fn, cpu_now, client=None):
            c0 = cpu_now()
            if client is not None:
                s0, k0 = overhead_cpu_seconds(client)
                t0 = sum(client.run(task_thread_seconds).values())
            times.setdefault((mode, name), []).append(timed(fn)[0])
            cpu.setdefault((mode, name), []).append(cpu_now() - c0)
            if client is not None:
                s1, k1 = overhead_cpu_seconds(client)
                t1 = sum(client.run(task_thread_seconds).values())
                cpu.setdefault((mode, name, "scheduler"), []).append(s1 - s0)
                cpu.setdefault((mode, name, "client"), []).append(k1 - k0)
                cpu.setdefault((mode, name, "task threads"), []).append(t1 - t0)

        # Each cluster runs alone (started, warmed up, measured, closed), so
        # that no idle cluster's heartbeats are counted in another's times.
        clusters = [("1 worker", 1, local_cluster), ("2 workers", 2, local_cluster)]
        if args.defaults:
            clusters += [("1 worker, Dask defaults", 1, defaults_cluster),
                         ("2 workers, Dask defaults", 2, defaults_cluster)]
        runs = ["serial", "2 processes"] + [name for name, _, _ in clusters]

        def cluster_round(name, w, make, noop_too):
            with make(w) as lc, Client(lc, timeout=60) as client:
                client.wait_for_workers(w, timeout=60)
                # Warm-up: models, detectors and keys loaded in every worker.
                for mode in settings:
                    cluster(mode, client, [str(p) for p in files[:2 * w]], 2 * w)
                for mode in settings:
                    measure(mode, name, lambda: cluster(mode, client),
                            lambda: cpu_seconds(client), client)
                if noop_too:
                    # Dask alone: empty tasks through one worker.
                    dt, _ = timed(lambda: client.gather(client.map(noop, range(n), pure=False)))
                    times.setdefault(("noop", "1 worker"), []).append(dt)

        for mode in settings:   # warm-up of this process and the pool
            serial(mode)
            for _ in range(2):
                two_processes(mode)
        load_before = os.getloadavg()
        steal_before = steal_seconds()
        t_before = time.perf_counter()
        for _ in range(args.rounds):
            for mode in settings:
                measure(mode, "serial", lambda: serial(mode), time.process_time)
                measure(mode, "2 processes", lambda: two_processes(mode), pool_cpu)
            for name, w, make in clusters:
                cluster_round(name, w, make, name == "1 worker")
        load_after = os.getloadavg()
        steal = (steal_seconds() - steal_before) / (time.perf_counter() - t_before)
        in_bytes = sum(p.stat().st_size for p in files)
        serial("detect")
        out_bytes = sum(p.stat().st_size for p in out.rglob("*.png"))
        pool.close()
        pool.join()

    med = {k: statistics.median(v) for k, v in times.items()}
    report = {"files": n, "rounds": args.rounds, "cpus": os.cpu_count(),
              "load_avg_before": load_before, "load_avg_after": load_after,
              "steal_cpus": steal,
              "bytes_read_per_file": in_bytes // n, "bytes_written_per_file": out_bytes // n,
              "noop_task_ms": 1e3 * med[("noop", "1 worker")] / n}
    for mode in settings:
        row = {}
        for name in runs:
            row[name + " files/s"] = n / med[(mode, name)]
            row[name + " all s"] = times[(mode, name)]
            row[name + " cpu ms/file"] = 1e3 * statistics.median(cpu[(mode, name)]) / n
        row["speedup 2/1 workers"] = med[(mode, "1 worker")] / med[(mode, "2 workers")]
        if args.defaults:
            row["speedup 2/1 workers, Dask defaults"] = \
                med[(mode, "1 worker, Dask defaults")] / med[(mode, "2 workers, Dask defaults")]
        row["speedup 2 processes/serial"] = med[(mode, "serial")] / med[(mode, "2 processes")]
        # Best of the rounds: the least disturbed run of each (a shared
        # machine only ever adds time).
        best = {name: min(times[(mode, name)]) for name in runs}
        row["best-of speedup 2/1 workers"] = best["1 worker"] / best["2 workers"]
        row["best-of speedup 2 processes/serial"] = best["serial"] / best["2 processes"]
        for name, _, _ in clusters:
            for part in ("scheduler", "client", "task threads"):
                row["%s %s cpu ms/file" % (name, part)] = \
                    1e3 * statistics.median(cpu[(mode, name, part)]) / n
        # CPU-time bound of the 2-worker speedup on two otherwise idle
        # cores: one worker is bound by its own CPU per file; two workers
        # share both cores with the scheduler and the client.
        for suffix in ("", ", Dask defaults") if args.defaults else ("",):
            w1, w2 = row["1 worker%s cpu ms/file" % suffix], row["2 workers%s cpu ms/file" % suffix]
            row["2-core speedup bound from CPU times" + suffix] = 2 * w1 / (
                w2 + row["2 workers%s scheduler cpu ms/file" % suffix]
                + row["2 workers%s client cpu ms/file" % suffix])
        row["overhead ms/file"] = 1e3 * (med[(mode, "1 worker")] - med[(mode, "serial")]) / n
        row["serial ms/file"] = 1e3 * med[(mode, "serial")] / n
        report[mode] = row
    print(json.dumps(report, indent=1))
    for mode in settings:
        r = report[mode]
        print("%-8s serial %5.2f files/s, 2 plain processes %5.2f (%.2fx) | Dask 1 worker %5.2f, "
              "2 workers %5.2f (%.2fx) | overhead %.1f ms/file | worker CPU %.0f / %.0f ms/file"
              % (mode, r["serial files/s"], r["2 processes files/s"],
                 r["speedup 2 processes/serial"], r["1 worker files/s"],
                 r["2 workers files/s"], r["speedup 2/1 workers"], r["overhead ms/file"],
                 r["1 worker cpu ms/file"], r["2 workers cpu ms/file"]))
        print("%-8s best of the rounds: 2 plain processes / serial %.2fx, 2 / 1 workers %.2fx"
              % (mode, r["best-of speedup 2 processes/serial"], r["best-of speedup 2/1 workers"]))
        print("%-8s CPU per file without Dask: serial %.0f ms, 2 plain processes %.0f ms; "
              "Dask task threads: 1 worker %.0f ms, 2 workers %.0f ms"
              % (mode, r["serial cpu ms/file"], r["2 processes cpu ms/file"],
                 r["1 worker task threads cpu ms/file"], r["2 workers task threads cpu ms/file"]))
        print("%-8s CPU per file: worker %.0f ms, scheduler %.1f ms, client (+ local scheduler) "
              "%.1f ms -> speedup "
              "bound on 2 idle cores %.2fx" % (mode, r["2 workers cpu ms/file"],
                                              r["2 workers scheduler cpu ms/file"],
                                              r["2 workers client cpu ms/file"],
                                              r["2-core speedup bound from CPU times"]))
        if args.defaults:
            print("%-8s Dask defaults: 1 worker %5.2f, 2 workers %5.2f files/s (%.2fx); worker "
                  "CPU %.0f / %.0f ms/file, client %.1f ms/file -> bound %.2fx"
                  % (mode, r["1 worker, Dask defaults files/s"],
                     r["2 workers, Dask defaults files/s"],
                     r["speedup 2/1 workers, Dask defaults"],
                     r["1 worker, Dask defaults cpu ms/file"],
                     r["2 workers, Dask defaults cpu ms/file"],
                     r["2 workers, Dask defaults client cpu ms/file"],
                     r["2-core speedup bound from CPU times, Dask defaults"]))
    print("empty Dask task: %.2f ms each (1 worker); load average %.1f before, %.1f after; "
          "steal %.2f CPUs" % (report["noop_task_ms"], load_before[0], load_after[0], steal))


if __name__ == "__main__":
    main()
