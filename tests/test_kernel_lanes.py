"""The compiled kernel's lanes: its Cowell phase steps LANES samples at a time
(``ext/lanes.h``), and each lane executes the reference's operations for its sample in the
reference's order. So every output is the same bytes for any lane count, any block split
and the pure-Python reference (no tolerance: this machine's libm is the one both use)."""
import dataclasses
import functools
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deorbit import _reference, kernel
from deorbit.atmosphere import load_msis_table
from deorbit.kernel import DailyIndices, circular_state, mean_circular_elements, propagate

from .conftest import BACKENDS

_kernel = BACKENDS["compiled"]
pytestmark = pytest.mark.skipif(_kernel is None, reason="compiled kernel not built")

START = 9800.25   # 2026-10-30 18:00 UTC
#: The per-sample outputs compared byte for byte.
FIELDS = ("status", "end_epoch_utc_days", "entry_epoch_utc_days", "handover_epoch_utc_days",
          "end_state_eci", "history_sma_alt_km", "ephemeris_state_eci", "n_steps", "n_rhs")


def lanes(k):
    """The compiled backend with its Cowell steps taking k samples at a time."""
    return types.SimpleNamespace(propagate_block=functools.partial(_kernel.propagate_block,
                                                                   lanes=k))


@pytest.fixture(scope="module")
def tables():
    """Two density models on the same axes (the packaged NRLMSISE-00 orbit table, and the
    same 20 % denser), driven by daily indices."""
    base = load_msis_table().orbit(51.64)
    return base, dataclasses.replace(base, log_rho=base.log_rho + np.log(1.2))


@dataclasses.dataclass
class Block:
    """A block of samples with everything that differs per sample drawn at random."""

    method: str
    kw: dict
    n: int

    #: The arguments that hold one value (or row) per sample.
    PER_SAMPLE = ("epoch_utc_days", "state_eci", "mean_elements", "bc_kg_m2",
                  "stop_epoch_utc_days", "stop_alt_km", "density_scale", "density_model",
                  "history_origin_utc_days")

    def run(self, module, sl=slice(None)):
        """Propagate samples sl of the block with the backend module."""
        kw = {k: (v[sl] if k in self.PER_SAMPLE and isinstance(v, np.ndarray) else v)
              for k, v in self.kw.items()}
        if "space_weather" in kw:
            kw["space_weather"] = kw["space_weather"].take(np.arange(self.n)[sl])
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(kernel, "_backend", module)
            return propagate(method=self.method, **kw)


def make_block(seed, n, method, mean_input, tables):
    """Mixed samples: start days and times of day, ballistic coefficients, density scales
    (one without drag), density models, stop epochs, stop altitudes below the entry
    interface; Cowell from 130-200 km (entries within hours, or the stop epoch first),
    hybrid from 165-230 km handed over at 160 km (or stopping there: stop_at_handover)."""
    rng = np.random.default_rng(seed)
    days = 5
    first = np.floor(START + 0.5) - 0.5 + rng.integers(0, 2, n)
    epoch = first + rng.uniform(0.0, 1.5, n)
    lo, hi = (130.0, 200.0) if method == "cowell" else (165.0, 230.0)
    alt = rng.uniform(lo, hi, n)
    inc, raan, u = rng.uniform(0, 98, n), rng.uniform(0, 360, n), rng.uniform(0, 360, n)
    scale = rng.uniform(0.5, 2.0, n)
    scale[rng.integers(0, n)] = 0.0 if n > 2 else scale[0]
    kw = dict(epoch_utc_days=epoch, state_eci=None if mean_input else circular_state(
        alt, inc, raan, u), bc_kg_m2=rng.uniform(20.0, 150.0, n), atmosphere=tables,
        stop_epoch_utc_days=epoch + rng.uniform(0.05, 2.0, n),
        stop_alt_km=np.where(rng.random(n) < 0.5, 120.0, rng.uniform(70.0, 119.0, n)),
        density_scale=scale, density_model=rng.integers(0, 2, n),
        space_weather=DailyIndices(first, rng.uniform(70, 250, (n, days)),
                                   rng.uniform(-30, 60, (n, days)),
                                   rng.uniform(0, 150, (n, days))),
        history_days=[0.0, 0.1, 0.5, 1.0, 1.7], history_origin_utc_days=epoch - 0.05,
        zonal_degree=int(rng.choice([0, 2, 3, 4])), altitude=str(rng.choice(
            ["ellipsoid", "sphere"])))
    if mean_input:
        kw["mean_elements"] = mean_circular_elements(alt, inc, raan, u)
    if method == "cowell":
        kw["ephemeris_days"] = np.sort(rng.uniform(0.0, 1.0, 5))
    else:
        kw["handover_alt_km"] = 160.0
        kw["mean_max_step_days"] = float(rng.choice([0.5, 1.0, 3.0]))
        kw["stop_at_handover"] = bool(rng.random() < 0.3)
    return Block(method, kw, n)


def raw(res):
    """Each per-sample output as bytes (NaN payloads and signed zeros count)."""
    return {f: np.ascontiguousarray(getattr(res, f)).tobytes() for f in FIELDS}


def assert_same_bytes(a, b, what):
    ra, rb = raw(a), raw(b)
    for f in FIELDS:
        assert ra[f] == rb[f], f"{what}: {f} differs"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 11),
       method=st.sampled_from(["cowell", "hybrid"]), mean_input=st.booleans(),
       k=st.integers(2, 7), cut=st.integers(1, 10))
def test_lanes_equal_one_lane_and_the_reference(seed, n, method, mean_input, k, cut, tables):
    """Blocks whose size is not a multiple of the lane count, refilled lanes, samples that
    end in the mean phase, at the stop epoch, at the entry interface or at a stop altitude
    below it: LANES lanes, k lanes, one lane, the reference and a split block give the same
    bytes."""
    block = make_block(seed, n, method, mean_input, tables)
    full = block.run(_kernel)
    assert_same_bytes(full, block.run(lanes(1)), "one lane")
    assert_same_bytes(full, block.run(lanes(k)), f"{k} lanes")
    assert_same_bytes(full, block.run(_reference), "reference")
    cut = min(cut, n - 1)
    if cut > 0:
        parts = [block.run(_kernel, slice(0, cut)), block.run(_kernel, slice(cut, None))]
        joined = types.SimpleNamespace(**{f: np.concatenate([getattr(p, f) for p in parts])
                                          for f in FIELDS})
        assert_same_bytes(full, joined, f"split at {cut}")


def test_every_lane_count_gives_the_same_bytes(f200):
    """A block of the ISS-F200 workload (static table) 2 LANES + 3 samples long, with
    entries during the day: each lane count from 1 to LANES, and more than LANES asked
    (clipped), give the one-lane bytes."""
    n = 2 * _kernel.LANES + 3
    rng = np.random.default_rng(4)
    y0 = circular_state(rng.uniform(125.0, 300.0, n), rng.uniform(0, 98, n),
                        rng.uniform(0, 360, n), rng.uniform(0, 360, n))
    block = Block("cowell", dict(epoch_utc_days=0.0, state_eci=y0,
                                 bc_kg_m2=rng.uniform(20, 300, n), atmosphere=f200["table"],
                                 stop_epoch_utc_days=rng.uniform(0.2, 1.0, n),
                                 history_days=[0.0, 0.5], ephemeris_days=[0.1, 0.15],
                                 **f200["options"]), n)
    one = block.run(lanes(1))
    assert set(one.status) == {1, 2}   # entries and horizons both
    for k in (*range(2, _kernel.LANES + 1), _kernel.LANES + 5):
        assert_same_bytes(one, block.run(lanes(k)), f"{k} lanes")


def test_the_build_says_how_it_steps():
    """LANES (a compile-time constant) and SIMD (the instruction set the lane loops run
    on) are exported for the benchmarks' machine line."""
    assert _kernel.LANES >= 1
    assert isinstance(_kernel.SIMD, str) and _kernel.SIMD
