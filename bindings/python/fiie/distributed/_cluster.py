"""Connecting to a Dask cluster, or starting a local one; TLS settings."""

import os


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError("fiie.distributed needs Dask distributed "
                          "(apt-get install python3-distributed)") from None
    return distributed


def security(tls_ca_file=None, tls_cert=None, tls_key=None):
    """Dask Security for these files, or None without TLS. The same
    certificate and key serve as the client's and, for --local, as the
    scheduler's and workers'; encryption is then required."""
    given = [x is not None for x in (tls_ca_file, tls_cert, tls_key)]
    if not any(given):
        return None
    if not all(given):
        raise ValueError("TLS needs --tls-ca-file, --tls-cert and --tls-key together")
    for path in (tls_ca_file, tls_cert, tls_key):
        if not os.path.isfile(path):
            raise ValueError("%s: no such file" % path)
    from distributed.security import Security
    return Security(tls_ca_file=tls_ca_file,
                    tls_client_cert=tls_cert, tls_client_key=tls_key,
                    tls_scheduler_cert=tls_cert, tls_scheduler_key=tls_key,
                    tls_worker_cert=tls_cert, tls_worker_key=tls_key,
                    require_encryption=True)


#: Dask settings for a cluster of few long tasks (one file takes 0.1-10 s):
#: Dask's defaults poll every process many times a second, which costs an
#: idle 2-worker local cluster about 11% of a core and every task a share
#: of it (measured in docs/performance.md). What each one turns down:
LEAN_CONFIG = {
    # the statistical profiler: a thread sampling every stack each 10 ms
    "distributed.worker.profile.enabled": False,
    # event-loop health check every 20 ms
    "distributed.admin.tick.interval": "1s",
    # psutil CPU, memory, disk and network counters every 500 ms
    "distributed.admin.system-monitor.interval": "5s",
    # the nanny's memory limit check every 100 ms
    "distributed.worker.memory.monitor-interval": "1s",
    # balancing by stealing every 100 ms: these tasks have no dependencies
    # and wait on the scheduler (queued) until a worker has a free thread
    "distributed.scheduler.work-stealing": False,
    # moving task results between workers every 2 s: results are tiny and
    # released as soon as they are read
    "distributed.scheduler.active-memory-manager.start": False,
}


def lean_config():
    """A context manager applying :data:`LEAN_CONFIG` (to a scheduler,
    nanny or worker made inside it; worker processes inherit it)."""
    import dask
    return dask.config.set(LEAN_CONFIG)


def local_cluster(n, sec=None, **kwargs):
    """A local cluster of ``n`` worker processes, one thread each, on the
    loopback interface, with :data:`LEAN_CONFIG`."""
    distributed = _distributed()
    if sec is not None:
        kwargs.update(security=sec, protocol="tls://")
    with lean_config():
        return distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                        **kwargs)


def connect(scheduler=None, local=None, sec=None, timeout=30):
    """(client, cluster or None): a client of the scheduler at
    ``scheduler``, or of a new local cluster of ``local`` worker processes
    (one thread each) on the loopback interface (see :func:`local_cluster`)."""
    distributed = _distributed()
    if scheduler:
        return distributed.Client(scheduler, security=sec, timeout=timeout), None
    n = local if local and local > 0 else (os.cpu_count() or 1)
    cluster = local_cluster(n, sec)
    try:
        client = distributed.Client(cluster, security=sec, timeout=timeout)
    except BaseException:
        cluster.close()
        raise
    return client, cluster
