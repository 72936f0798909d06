"""Where the package data live: ``deorbit/data`` (provenance in its ``README.md``)."""
from importlib import resources
from pathlib import Path


def data_path(name) -> Path:
    """Path of the packaged file ``deorbit/data/<name>``."""
    return Path(str(resources.files("deorbit") / "data" / name))


def data_bytes(name) -> bytes:
    """Content of ``deorbit/data/<name>``."""
    return (resources.files("deorbit") / "data" / name).read_bytes()


def data_label(name) -> str:
    """How error messages name a packaged file."""
    return f"deorbit/data/{name} (package data)"
