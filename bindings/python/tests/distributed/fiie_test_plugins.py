"""Dask plugins of the fiie.distributed tests (imported by the workers and
the scheduler, so they live in a module of their own)."""

import os
import pickle
import signal

from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin
from distributed.protocol import pickle as dask_pickle


class CaptureScheduler(SchedulerPlugin):
    """Keeps the serialised task specs the scheduler receives."""

    name = "fiie-test-capture"

    def __init__(self):
        self.blobs = []

    async def start(self, scheduler):
        self.scheduler = scheduler

    def update_graph(self, scheduler, keys=None, **kwargs):
        for k in keys or ():
            ts = scheduler.tasks.get(k)
            if ts is not None:
                self.blobs.append(pickle.dumps(ts.run_spec))
        if kwargs.get("tasks"):
            self.blobs.append(pickle.dumps(kwargs["tasks"]))


class CaptureWorker(WorkerPlugin):
    """Keeps, for every task a worker finishes, its spec and its result
    serialised as they would travel."""

    name = "fiie-test-capture"

    def setup(self, worker):
        self.worker = worker
        self.blobs = []

    def transition(self, key, start, finish, **kwargs):
        if finish != "memory" or not str(key).startswith("fiie-"):
            return
        ts = self.worker.state.tasks.get(key)
        if ts is not None:
            self.blobs.append(dask_pickle.dumps(ts.run_spec))
        if key in self.worker.data:
            self.blobs.append(dask_pickle.dumps(self.worker.data[key]))


class KillOnce(WorkerPlugin):
    """Ends its own worker process (SIGKILL: no clean-up at all) once in a
    whole cluster, at the start (``when="start"``) or right after the end
    (``when="end"``: output written, result not yet sent) of the
    ``nth`` fiie task this worker runs. ``marker`` (created exclusively)
    makes it happen once, whichever worker comes first."""

    def __init__(self, marker, when, nth):
        self.marker, self.when, self.nth = marker, when, nth
        self.name = "fiie-test-kill-%s" % when

    def setup(self, worker):
        self.count = 0

    def transition(self, key, start, finish, **kwargs):
        if not str(key).startswith("fiie-"):
            return
        hit = ((self.when == "start" and finish == "executing") or
               (self.when == "end" and start == "executing" and finish == "memory"))
        if not hit:
            return
        self.count += 1
        if self.count < self.nth:
            return
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGKILL)
