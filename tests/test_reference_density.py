"""Reference density mode: NRLMSISE-00 at every point of the trajectory (issue 4)."""
import numpy as np
import pytest

from deorbit import frames
from deorbit.atmosphere import MsisAlongTrajectory, load_msis_table
from deorbit.kernel import DailyIndices, Status, mean_circular_elements, propagate
from deorbit.spaceweather import load_space_weather
from deorbit.time import epoch_from_datetime

pymsis = pytest.importorskip("pymsis")

START = epoch_from_datetime("2024-01-01T06:00:00")


def _observed(start, days, n=1):
    """Observed daily indices (packaged SW-All) from the UTC day of ``start``."""
    first = np.floor(start + 0.5) - 0.5
    mi = load_space_weather().msis_inputs(first + 0.5 + np.arange(days) + 0.5)
    rows = [np.tile(a, (n, 1)) for a in (mi.f107_ctr81_sfu,
                                          mi.f107_prev_day_sfu - mi.f107_ctr81_sfu, mi.ap_daily)]
    return DailyIndices(np.full(n, first), *rows)


def test_density_is_pymsis_at_the_point():
    r = np.array([4.1e6, -3.3e6, 4.2e6])
    epoch = START + 0.3
    lat, lon, alt = frames.eci_to_geodetic(r, epoch)
    when = np.datetime64("2000-01-01T12:00:00", "us") + np.timedelta64(
        int(round(epoch * 86400e6)), "us")
    expected = pymsis.calculate(when, float(lon), float(lat), float(alt), [140.0], [150.0],
                                [[12.0] * 7], version=0)[..., pymsis.Variable.MASS_DENSITY]
    got = MsisAlongTrajectory().density(epoch, r, 150.0, -10.0, 12.0)
    assert got == float(expected.ravel()[0])
    # and it is not the orbit-averaged table: local time and latitude matter
    table = load_msis_table().orbit(51.64).density(float(alt), 150.0, -10.0, 12.0)
    assert got != pytest.approx(float(table), rel=1e-3)


def test_hybrid_lifetime_agrees_with_the_table():
    """A 250 km decay at solar maximum (observed indices): the averaged table against
    NRLMSISE-00 along the trajectory; they differ, by less than 3 % (VALIDATION.md)."""
    mean = mean_circular_elements([250.0], 51.64, [30.0], [0.0])
    sw = _observed(START, 60)
    life = {name: propagate(START, None, 104.0, atm, START + 58.0, mean_elements=mean,
                            space_weather=sw).lifetime_days[0]
            for name, atm in (("table", load_msis_table().orbit(51.64)),
                              ("along", MsisAlongTrajectory()))}
    assert np.isfinite(life["along"])
    assert life["along"] != life["table"]
    assert life["along"] == pytest.approx(life["table"], rel=0.03)


def test_cowell_along_the_trajectory_decays_like_the_hybrid():
    """Cowell with NRLMSISE-00 at every stage, a quarter day at 250 km: the drop of the
    (numerical) mean semi-major axis matches the hybrid's with the same model to 1 %, and
    the table's to 3 %."""
    from deorbit import _reference

    mean = mean_circular_elements([250.0], 51.64, [30.0], [0.0])
    sw = _observed(START, 3)
    averager = _reference.Model.static(0.0, 2, False, [0.0, 1.0], [0.0, 0.0])
    table = load_msis_table().orbit(51.64)

    def cowell_mean_a_m(atm, scale=1.0):
        res = propagate(START, None, 104.0, atm, START + 0.25, method="cowell",
                        mean_elements=mean, space_weather=sw, density_scale=scale)
        assert res.status[0] == Status.HORIZON
        return _reference.numeric_mean(averager, list(res.end_state_eci[0]))[0]

    no_drag = cowell_mean_a_m(table, 0.0)
    drop = {"along": no_drag - cowell_mean_a_m(MsisAlongTrajectory()),
            "table": no_drag - cowell_mean_a_m(table)}
    hyb = propagate(START, None, 104.0, MsisAlongTrajectory(), START + 0.25,
                    mean_elements=mean, space_weather=sw, history_days=[0.0, 0.25])
    hybrid_drop = 1e3 * (hyb.history_sma_alt_km[0, 0] - hyb.history_sma_alt_km[0, 1])
    assert drop["along"] > 500.0   # m: a quarter day at 250 km near solar maximum
    assert drop["along"] == pytest.approx(hybrid_drop, rel=0.01)
    assert drop["along"] != drop["table"]
    assert drop["along"] == pytest.approx(drop["table"], rel=0.03)


def test_needs_daily_indices():
    mean = mean_circular_elements([250.0], 51.64)
    with pytest.raises(ValueError, match="an MsisAlongTrajectory needs DailyIndices"):
        propagate(START, None, 104.0, MsisAlongTrajectory(), START + 1.0, mean_elements=mean)
