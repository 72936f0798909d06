"""Refactors keep results bit-identical: block 0 of every built-in scenario hashes to the
values recorded before them (issue 18's guard).

The hash covers every per-sample array of :func:`deorbit.engine.run_block` (names, dtypes and
bytes) except the stored altitude and solar histories (``history_*``), which are outputs for
the report only. Recorded 2026-12-07 at the commit after the ISS scenarios' BC came from
tracking data, and unchanged by the keyword kernel contract (checked against a build of the
commit before it). A change of results that is a fix must update these values in its own
commit and say why.
"""
import hashlib

import numpy as np
import pytest

from deorbit import kernel
from deorbit.engine import run_block
from deorbit.scenario import load_scenario

RECORDED = {
    "iss-2028": "29d0d059f9c50851cb7f13eb97baa5199a4bd22c6b3bfd9060a58b48b4b1cc35",
    "iss-2030": "ac838ccdc7f7a0959ed8b201a1bcee27cc588711f2aac5998ffad21b05172e9d",
    "iss-early": "a4460e93969823b7cbdf94e38ebf715f2c070787ec96cdb5c53c22110790fed0",
    "iss-uncontrolled": "20a011da411c66186028391b63ede19d4ad4fa8948a70acc2e070e0a279e8ede",
    "smallsat-lifetime": "602890d88afd9638cb32a9c251e465597af22333bccbc583c72544c5e3d6c6b9",
}


def block_digest(result) -> str:
    """sha256 over the sorted per-sample arrays of a block (histories left out)."""
    h = hashlib.sha256()
    for key in sorted(result):
        if key.startswith("history_"):
            continue
        a = np.ascontiguousarray(result[key])
        h.update(key.encode())
        h.update(str(a.dtype).encode())
        h.update(a.tobytes())
    return h.hexdigest()


@pytest.mark.skipif(not kernel.accelerated, reason=(
    "recorded with the compiled kernel; the reference backend is tied to it by "
    "test_kernel_properties (a full block in pure Python takes minutes)"))
@pytest.mark.parametrize("name", sorted(RECORDED))
def test_block_zero_is_bit_identical(name):
    assert block_digest(run_block(load_scenario(name), 0)) == RECORDED[name]
