"""Set-up of the worker processes of deorbit's own LocalCluster (a Dask preload module)."""
import signal


def dask_setup(worker):
    """Ignore SIGINT in a worker process.

    A Ctrl-C at the terminal reaches every process of the group: the client process stops
    the run and closes the cluster; a worker that took the signal too would print its own
    traceback (and a restarted one would be killed mid-block).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
