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


def connect(scheduler=None, local=None, sec=None, timeout=30):
    """(client, cluster or None): a client of the scheduler at
    ``scheduler``, or of a new local cluster of ``local`` worker processes
    (one thread each) on the loopback interface."""
    distributed = _distributed()
    if scheduler:
        return distributed.Client(scheduler, security=sec, timeout=timeout), None
    n = local if local and local > 0 else (os.cpu_count() or 1)
    kwargs = {}
    if sec is not None:
        kwargs.update(security=sec, protocol="tls://")
    cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0", **kwargs)
    try:
        client = distributed.Client(cluster, security=sec, timeout=timeout)
    except BaseException:
        cluster.close()
        raise
    return client, cluster
