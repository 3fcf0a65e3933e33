"""``fiie encrypt -r`` / ``fiie decrypt -r`` over a Dask cluster.

    from distributed import Client
    import fiie.distributed as fd

    with Client("tls://scheduler:8786", security=...) as client:
        summary = fd.encrypt(["/archive/photos"], recursive=True,
                             out_dir="/archive/protected",
                             key_file="/etc/fiie/archive.key", client=client)
    print(summary.counts, summary.exit_status)

The same inputs, output names, skip and force rules, statuses, exit
status and --json summary as the ``fiie`` tool (they live in
:mod:`fiie.batch`). Each task is one file, or a few when files are quick
(``batch_size``: see :func:`run`), run by libfiie through the binding on a
worker, and written
atomically to the output tree, which every worker and the client see at
the same paths (a shared file system).

Keys never travel: tasks name the key file or passphrase file by path
(the same path on every machine); each worker process reads it and derives
a passphrase key once. No key, passphrase or derived key is in the task
graph, on the scheduler or in a result.

Results come back in input order through ``on_result`` and are folded into
a :class:`fiie.batch.Summary`; at most ``window`` files are in flight or
waiting to be reported, so an archive's results are never all in memory.
"""

import os
import time

from .. import batch as B
from . import _tasks
from ._cluster import LEAN_CONFIG, connect, lean_config, security  # noqa: F401
from ._tasks import Settings, detector_settings

__all__ = ["encrypt", "decrypt", "run", "connect", "security", "Settings", "LEAN_CONFIG",
           "lean_config"]


def encrypt(inputs, *, key_file=None, passphrase_file=None, out_dir=None, recursive=False,
            force=False, suffix=None, allow_empty=False, regions=None, fast=False,
            min_face=None, factor=None, thresholds=None, max_faces=None, model=None,
            mask_scale=1.6, shape="ellipse", sidecar=False, client=None, batch_size=None,
            window=None, on_result=None, on_problem=None):
    """Protect the faces of every image of ``inputs`` (files, and
    directories with ``recursive``) on the cluster of ``client``. Returns
    the :class:`fiie.batch.Summary`. ``regions`` (list of (shape, x, y, w,
    h)) replaces detection; detection uses encrypt's high-recall preset
    unless ``fast``, explicit detector options winning."""
    det = None if regions is not None else detector_settings(
        fast, _abs(model), min_face=min_face, factor=factor, thresholds=thresholds,
        max_faces=max_faces)
    s = Settings("encrypt", key_file=_abs(key_file), passphrase_file=_abs(passphrase_file),
                 detector=det, regions=None if regions is None else tuple(map(tuple, regions)),
                 mask_scale=mask_scale, shape=shape, allow_empty=allow_empty, sidecar=sidecar,
                 force=force)
    return run(s, inputs, out_dir=out_dir, recursive=recursive, suffix=suffix, client=client,
               batch_size=batch_size, window=window, on_result=on_result, on_problem=on_problem)


def decrypt(inputs, *, key_file=None, passphrase_file=None, out_dir=None, recursive=False,
            force=False, suffix=None, client=None, batch_size=None, window=None, on_result=None,
            on_problem=None):
    """Restore the protected images of ``inputs`` (see :func:`encrypt`).
    ``STEM_fiie.png`` gives back ``STEM.png``."""
    s = Settings("decrypt", key_file=_abs(key_file), passphrase_file=_abs(passphrase_file),
                 force=force)
    return run(s, inputs, out_dir=out_dir, recursive=recursive, suffix=suffix, client=client,
               batch_size=batch_size, window=window, on_result=on_result, on_problem=on_problem)


def _abs(path):
    return None if path is None else os.path.abspath(os.fspath(path))


def _check_settings(s):
    if (s.key_file is None) == (s.passphrase_file is None):
        raise ValueError("give exactly one of key_file and passphrase_file")
    secret = s.key_file or s.passphrase_file
    if not os.path.isfile(secret):
        raise ValueError("%s: no such file" % secret)


#: With ``batch_size=None`` (the default), files are grouped so that a task
#: lasts about this long (seconds), as measured on the tasks done so far:
#: the scheduler's and client's cost per task is then spread over several
#: quick files, while slow files (large photos) stay one per task.
AUTO_TASK_SECONDS = 1.0
#: Most files grouped in one task by ``batch_size=None``.
AUTO_BATCH_MAX = 16


def run(settings, inputs, *, out_dir=None, recursive=False, suffix=None, client=None,
        batch_size=None, window=None, on_result=None, on_problem=None):
    """Run a batch described by ``settings`` (see :func:`encrypt`).

    ``batch_size``: files per task; None groups files so that a task takes
    about :data:`AUTO_TASK_SECONDS` (one file per task until the first
    tasks are done, at most :data:`AUTO_BATCH_MAX`)."""
    _check_settings(settings)
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    inputs = [os.fspath(i) for i in inputs]
    if batch_size is not None and batch_size < 1:
        raise ValueError("batch_size must be >= 1 or None, got %r" % (batch_size,))
    if suffix is not None and (not suffix or "/" in suffix):
        raise ValueError("suffix must be non-empty and contain no '/'")
    if out_dir is not None:
        if os.path.exists(out_dir) and not os.path.isdir(out_dir):
            raise ValueError("out_dir %s is not a directory" % out_dir)
        # Made now: the walk is lazy (it goes on while workers write), and
        # must recognise the output directory to never read it.
        os.makedirs(out_dir, exist_ok=True)
    own = None
    if client is None:
        client, own = _default_client()
    try:
        return _Run(settings, client, batch_size, window, on_result, on_problem).go(
            inputs, out_dir, recursive, suffix)
    finally:
        if own is not None:
            client.close()
            own.close()


def _default_client():
    import distributed
    try:
        return distributed.default_client(), None
    except ValueError:
        return connect(local=os.cpu_count())


class _Run:
    def __init__(self, settings, client, batch_size, window, on_result, on_problem):
        self.s = settings
        self.client = client
        self.auto = batch_size is None
        self.batch_size = batch_size or 1
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.fixed_window = window
        self._size_window()
        self.started = None   # when the first task was submitted
        self.worked = 0       # files that went through a task since
        self.on_result = on_result
        self.on_problem = on_problem
        self.summary = B.Summary(settings.command)

    def go(self, inputs, out_dir, recursive, suffix):
        from distributed import as_completed
        s = self.s

        def problem(path, msg):
            self.summary.input_errors += 1
            if self.on_problem:
                self.on_problem(path, msg)

        items = B.walk(inputs, command=s.command, recursive=recursive, out_dir=out_dir,
                       suffix=suffix, problem=problem)
        planner = B.Planner(s.command, out_dir=out_dir, suffix=suffix, force=s.force,
                            several_inputs=len(inputs) > 1)
        plans = (planner.plan(item) for item in items)
        ready = {}            # index -> Result, waiting for its turn
        jobs_of = {}          # future key -> its jobs
        ac = as_completed()
        lost_retries = {}     # future key -> times recomputed after a lost result
        self.next_emit = 0
        next_index = 0
        batch = []
        exhausted = False

        batches = []          # made since the last submission

        def close_batch():
            if batch:
                batches.append(list(batch))
                batch.clear()

        def submit():
            # One message to the scheduler for all the tasks made since
            # the last one (a submit() per task costs the client more).
            if not batches:
                return
            if self.started is None:
                self.started = time.monotonic()
            keys = ["fiie-%s-%s-%d" % (s.command, s.run_id, b[0][0]) for b in batches]
            futs = self.client.map(_tasks.run_batch, [s] * len(batches), batches, key=keys,
                                   pure=False)
            for fut, b in zip(futs, batches):
                jobs_of[fut.key] = b
                ac.add(fut)
            batches.clear()

        while True:
            # Plan and submit while the window has room.
            while not exhausted and next_index - self.next_emit < self.window:
                plan = next(plans, None)
                if plan is None:
                    exhausted = True
                    break
                it = plan.item
                next_index = it.index + 1
                shown_out = plan.output
                if plan.status is not None:
                    ready[it.index] = B.Result(it.index, it.path, shown_out, plan.status,
                                               message=plan.message)
                    self._emit(ready)
                    continue
                batch.append((it.index, os.path.abspath(it.path), os.path.abspath(plan.output),
                              it.path, shown_out))
                if len(batch) >= self.batch_size:
                    close_batch()
            # A batch still filling waits for more files while every worker
            # has two tasks to do; it goes when the walk is over or the
            # workers run short (then also when the window is full, so no
            # wait is ever on results that cannot come).
            if exhausted or ac.count() < 2 * self.workers:
                close_batch()
            submit()
            if ac.is_empty() and exhausted:
                break
            if ac.is_empty():
                continue
            # Whatever finished meanwhile, its results fetched in one go.
            done = ac.next_batch(block=True)
            ok = [f for f in done if f.status == "finished"]
            files_done = 0
            for fut, results in zip(ok, self.client.gather(ok) if ok else ()):
                jobs_of.pop(fut.key)
                files_done += len(results)
                for r in results:
                    ready[r.index] = r
            self._adapt(time.monotonic(), files_done)
            requeued = set()
            for fut in done:
                if fut.key not in jobs_of:
                    continue
                if _lost(fut) and lost_retries.get(fut.key, 0) < MAX_LOST_RETRIES:
                    # The worker holding its result died after the task
                    # ran: compute it again (a rerun recognises its output).
                    lost_retries[fut.key] = lost_retries.get(fut.key, 0) + 1
                    fut.retry()
                    ac.add(fut)
                    requeued.add(fut.key)
                    continue
                err = _task_error(fut)
                for index, _, _, shown_in, shown_out in jobs_of.pop(fut.key):
                    ready[index] = B.Result(index, shown_in, shown_out, B.ERROR, message=err)
            for fut in done:
                if fut.key not in requeued:
                    fut.release()
            self._emit(ready)
        self._emit(ready)
        return self.summary

    def _size_window(self):
        # Enough queued work to keep every worker busy between two
        # round trips, bounded so results never pile up in memory.
        self.window = self.fixed_window or max(64, 8 * self.workers * self.batch_size)

    def _adapt(self, now, files_done):
        """batch_size=None: from the rate of the files done by tasks so far,
        the number of files that makes a task last AUTO_TASK_SECONDS."""
        self.worked += files_done
        if not self.auto or self.worked < 2 * self.workers:
            return
        per_file = self.workers * (now - self.started) / self.worked
        size = max(1, min(AUTO_BATCH_MAX, int(AUTO_TASK_SECONDS / max(per_file, 1e-6))))
        if size != self.batch_size:
            self.batch_size = size
            self._size_window()

    def _emit(self, ready):
        while self.next_emit in ready:
            r = ready.pop(self.next_emit)
            self.summary.add(r)
            if self.on_result:
                self.on_result(r)
            self.next_emit += 1


#: Times a task whose result was lost with its worker is computed again.
MAX_LOST_RETRIES = 3


def _lost(fut):
    """A future that is neither finished nor failed: its result went with a
    dead worker ("lost")."""
    if fut.status == "lost":
        return True
    try:
        return fut.status != "finished" and fut.exception(timeout=0) is None
    except Exception:  # cancelled, or not done: not a lost result
        return False


def _task_error(fut):
    try:
        exc = fut.exception()
    except Exception as e:  # cancelled, lost
        exc = e
    name = type(exc).__name__
    if name == "KilledWorker":
        return "the workers running this file died repeatedly (%s); not retried further" % name
    return "task failed: %s: %s" % (name, exc)
