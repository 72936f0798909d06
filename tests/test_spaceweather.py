"""Tests of deorbit.spaceweather: the CelesTrak SW-All.txt parser and the NRLMSISE-00 inputs.

Offline: everything is read from the copy shipped in the package (``deorbit/data``) or from
files written to ``tmp_path``; pymsis is called on a CSV written here, with its download
function and ``urllib`` disabled.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import urllib.request
import warnings
from importlib import resources

import numpy as np
import pytest

from deorbit.spaceweather import (
    LONG_FORECAST,
    MODELLED,
    OBSERVED,
    REGIME_NAMES,
    SHORT_FORECAST,
    SpaceWeatherError,
    datetime64_to_day_j2000,
    day_j2000_to_datetime64,
    load_space_weather,
    parse_sw_all,
)

# Facts of the packaged file, copied from /work/shared/data/README.md and
# /work/shared/data/SW-All.txt.sha256 when the file was packaged (tests never read ../shared).
PACKAGED_SHA256 = "88bfa8907c550eb9c768a58c4e4fabefeee6104eb1b747a748a83b3550344245"
PACKAGED_UPDATED = "2026 Oct 16 05:48:20 UTC"
N_OBSERVED, N_DAILY_PREDICTED, N_MONTHLY_PREDICTED = 25_217, 45, 179

# Raw lines of the packaged SW-All.txt (line numbers are 1-based, in the file), copied verbatim.
# Observed, line 16847 (the Halloween 2003 storm; ap 400 is the file's maximum 3-hour ap):
RAW_OBSERVED_2003_10_29 = (
    "2003 10 29 2323 27 47 40 90 80 77 77 87 87 583  39  27 400 207 179 179 300 300 204 2.1 9"
    " 250 287.7 0 144.8 128.4 291.7 146.8 127.6"
)
# Daily predicted, line 25244 (Q blank):
RAW_DAILY_PREDICTED_2026_10_21 = (
    "2026 10 21 2634 23 29 29 29 29 29 29 29 29 232  14  14  14  14  14  14  14  14  14 0.8 4"
    "  80 110.0   107.4 113.5 111.0 108.3 112.1"
)
# Last daily predicted row, line 25283:
RAW_DAILY_PREDICTED_2026_11_29 = (
    "2026 11 29 2636  8 24 24 24 24 24 24 24 24 192  10  10  10  10  10  10  10  10  10 0.6 3"
    "  78 105.0   110.6 107.3 107.9 113.4 108.2"
)
# Monthly predicted, lines 25288-25290 (Kp, Ap, Cp, C9, Q blank):
BLANK_KP_TO_C9 = " " * 70  # columns 19-88
RAW_MONTHLY_2026_12_01 = (
    "2026 12 01 2636 10" + BLANK_KP_TO_C9 + "  75 116.5   110.6 107.4 119.8 113.5 108.4"
)
RAW_MONTHLY_2027_01_01 = (
    "2027 01 01 2637 14" + BLANK_KP_TO_C9 + "  73 114.7   114.5 111.5 118.6 118.1 114.0"
)
RAW_MONTHLY_2027_02_01 = (
    "2027 02 01 2638 18" + BLANK_KP_TO_C9 + "  71 112.8   113.6 112.9 116.2 116.8 116.4"
)
# Observed, lines 23518-23520 (the Feb 2022 storm that cost 38 of 49 new Starlink satellites):
RAW_2022_02_01 = (
    "2022 02 01 2571  1 17 17  7  7 13  7  3 33 103   6   6   3   3   5   3   2  18   6 0.3 1"
    "  77 124.9 0 106.6  96.5 128.6 109.5  99.5"
)
RAW_2022_02_02 = (
    "2022 02 02 2571  2 40 27  7  3 17 37 17 13 160  27  12   3   2   6  22   6   5  10 0.6 3"
    "  72 124.5 0 106.4  97.0 128.2 109.3 100.0"
)
RAW_2022_02_03 = (
    "2022 02 03 2571  3 20 43 50 53 40 30 30 27 293   7  32  48  56  27  15  15  12  26 1.2 6"
    "  80 122.9 0 106.3  97.6 126.5 109.1 100.6"
)
RAW_2022_02_04 = (
    "2022 02 04 2571  4 40 40 37 37 40 53 50 40 337  27  27  22  22  27  56  48  27  32 1.3 6"
    " 100 126.0 0 106.0  98.1 129.6 108.8 101.2"
)


def day(iso: str) -> int:
    """day_j2000 of an ISO date (days since 2000-01-01)."""
    return int((np.datetime64(iso, "D") - np.datetime64("2000-01-01", "D")).astype(int))


def fields(raw: str) -> list[float]:
    """Whitespace-split numbers of a raw line (independent of the parser's fixed-width code)."""
    return [float(x) for x in raw.split()]


@pytest.fixture(scope="module")
def sw():
    return load_space_weather()


@pytest.fixture(scope="module")
def packaged_bytes() -> bytes:
    return (resources.files("deorbit") / "data" / "SW-All.txt.gz").read_bytes()


@pytest.fixture(scope="module")
def packaged_lines(packaged_bytes) -> list[str]:
    return gzip.decompress(packaged_bytes).decode("ascii").splitlines(keepends=True)


# ------------------------------------------------------------------------------ packaged data
def test_packaged_gz_is_the_reference_text_compressed_reproducibly(packaged_bytes):
    text = gzip.decompress(packaged_bytes)
    assert hashlib.sha256(text).hexdigest() == PACKAGED_SHA256
    # gzip -n: no file name (FLG = 0) and no timestamp (MTIME = 0), so re-packaging is stable.
    assert packaged_bytes[3] == 0
    assert packaged_bytes[4:8] == b"\x00\x00\x00\x00"


def test_provenance_readme_ships_beside_the_data():
    readme = (resources.files("deorbit") / "data" / "README.md").read_text(encoding="utf-8")
    assert PACKAGED_SHA256 in readme
    assert PACKAGED_UPDATED in readme
    assert "25,217" in readme and "1957-10-01" in readme and "2026-10-15" in readme


def test_packaged_file_loads_with_its_metadata(sw):
    assert sw.source == "package data"
    assert sw.updated_utc == PACKAGED_UPDATED
    assert sw.sha256 == PACKAGED_SHA256
    assert sw.day_j2000.dtype == np.int64 and sw.regime.dtype == np.int8
    assert sw.ap_3h.shape == (sw.day_j2000.size, 8) and sw.ap_3h.dtype == np.float64


def test_row_counts_and_date_ranges_match_the_readme(sw):
    assert (sw.n_rows_observed, sw.n_rows_daily_predicted, sw.n_rows_monthly_predicted) == (
        N_OBSERVED, N_DAILY_PREDICTED, N_MONTHLY_PREDICTED,
    )
    assert np.all(np.diff(sw.day_j2000) == 1)  # one row per day, no gaps
    assert sw.first_day_j2000 == day("1957-10-01") == -15432
    assert sw.last_observed_day_j2000 == day("2026-10-15")
    assert sw.last_day_j2000 == day("2041-10-01")  # the last monthly row, not extrapolated
    observed = sw.day_j2000[sw.regime == OBSERVED]
    short = sw.day_j2000[sw.regime == SHORT_FORECAST]
    long_ = sw.day_j2000[sw.regime == LONG_FORECAST]
    assert observed.size == N_OBSERVED
    assert (observed[0], observed[-1]) == (day("1957-10-01"), day("2026-10-15"))
    assert short.size == N_DAILY_PREDICTED
    assert (short[0], short[-1]) == (day("2026-10-16"), day("2026-11-29"))
    # 2026-11-30 (between the daily and the monthly predictions) is long forecast
    assert (long_[0], long_[-1]) == (day("2026-11-30"), day("2041-10-01"))
    assert long_.size == day("2041-10-01") - day("2026-11-30") + 1


def test_day_j2000_convention():
    assert day("2000-01-01") == 0
    t = np.array(["2000-01-01T00:00", "2000-01-01T03:00", "1999-12-31T18:00"], "datetime64[s]")
    np.testing.assert_array_equal(datetime64_to_day_j2000(t), [0.0, 0.125, -0.25])
    np.testing.assert_array_equal(day_j2000_to_datetime64([0.0, 0.125, -0.25]), t)


def test_known_values_against_the_raw_text(sw):
    for raw in (RAW_OBSERVED_2003_10_29, RAW_DAILY_PREDICTED_2026_10_21, RAW_MONTHLY_2027_01_01):
        f = fields(raw)
        i = day(f"{raw[0:4]}-{raw[5:7]}-{raw[8:10]}") - sw.first_day_j2000
        if raw is RAW_MONTHLY_2027_01_01:  # 12 numbers: date, BSRN, ND, ISN, then 6 F10.7
            isn, adj, adj_ctr, adj_lst, obs, obs_ctr, obs_lst = f[5:]
            assert np.isnan(sw.ap_daily[i]) and np.all(np.isnan(sw.ap_3h[i]))
            assert np.isnan(sw.kp_sum[i]) and np.isnan(sw.f107_qualifier[i])
            assert sw.regime[i] == LONG_FORECAST
        else:
            np.testing.assert_array_equal(sw.ap_3h[i], f[14:22])
            np.testing.assert_array_equal(sw.kp_3h[i] * 10, f[5:13])
            assert sw.ap_daily[i] == f[22]
            assert sw.kp_sum[i] == pytest.approx(f[13] / 10, rel=1e-15)
            if raw is RAW_OBSERVED_2003_10_29:  # 33 numbers, Q present
                isn, adj, q, adj_ctr, adj_lst, obs, obs_ctr, obs_lst = f[25:]
                assert sw.f107_qualifier[i] == q and sw.regime[i] == OBSERVED
            else:  # 32 numbers: Q blank
                isn, adj, adj_ctr, adj_lst, obs, obs_ctr, obs_lst = f[25:]
                assert np.isnan(sw.f107_qualifier[i]) and sw.regime[i] == SHORT_FORECAST
        assert sw.sunspot_number[i] == isn
        assert sw.f107_adj_sfu[i] == adj and sw.f107_obs_sfu[i] == obs
        assert sw.f107_adj_ctr81_sfu[i] == adj_ctr and sw.f107_adj_lst81_sfu[i] == adj_lst
        assert sw.f107_obs_ctr81_sfu[i] == obs_ctr and sw.f107_obs_lst81_sfu[i] == obs_lst
    assert sw.ap_3h[day("2003-10-29") - sw.first_day_j2000, 2] == 400.0 == np.nanmax(sw.ap_3h)


def test_hardcoded_raw_lines_are_lines_of_the_packaged_file(packaged_lines):
    text = [line.rstrip("\r\n") for line in packaged_lines]
    assert text[16847 - 1] == RAW_OBSERVED_2003_10_29
    assert text[25244 - 1] == RAW_DAILY_PREDICTED_2026_10_21
    assert text[25283 - 1] == RAW_DAILY_PREDICTED_2026_11_29
    assert text[25288 - 1 : 25291 - 1] == [
        RAW_MONTHLY_2026_12_01, RAW_MONTHLY_2027_01_01, RAW_MONTHLY_2027_02_01,
    ]
    assert text[23517 - 1 : 23521 - 1] == [RAW_2022_02_01, RAW_2022_02_02, RAW_2022_02_03,
                                           RAW_2022_02_04]


def test_monthly_predictions_are_interpolated_linearly_between_rows(sw):
    jan, feb = fields(RAW_MONTHLY_2027_01_01), fields(RAW_MONTHLY_2027_02_01)
    i = day("2027-01-16") - sw.first_day_j2000
    w = 15 / 31
    assert sw.f107_obs_sfu[i] == pytest.approx((1 - w) * jan[9] + w * feb[9], rel=1e-14)
    assert sw.f107_obs_ctr81_sfu[i] == pytest.approx((1 - w) * jan[10] + w * feb[10], rel=1e-14)
    # 2026-11-30 lies half-way between the last daily row and the first monthly row
    last_daily, dec = fields(RAW_DAILY_PREDICTED_2026_11_29), fields(RAW_MONTHLY_2026_12_01)
    k = day("2026-11-30") - sw.first_day_j2000
    assert sw.f107_obs_sfu[k] == pytest.approx(0.5 * (last_daily[29] + dec[9]), rel=1e-14)
    assert sw.f107_adj_sfu[k] == pytest.approx(0.5 * (last_daily[26] + dec[6]), rel=1e-14)
    assert np.isnan(sw.ap_daily[k])  # Ap is not invented where the monthly rows have none
    long_ = sw.regime == LONG_FORECAST
    assert np.all(np.isnan(sw.ap_daily[long_])) and np.all(np.isnan(sw.ap_3h[long_]))
    assert np.all(np.isfinite(sw.f107_obs_sfu)) and np.all(np.isfinite(sw.f107_obs_ctr81_sfu))


def test_regimes(sw):
    assert (OBSERVED, SHORT_FORECAST, LONG_FORECAST, MODELLED) == (0, 1, 2, 3)
    assert set(REGIME_NAMES) == {0, 1, 2, 3}
    got = sw.regime_of([day("2026-10-15") + 0.99, day("2026-10-16"), day("2026-11-29") + 0.5,
                        day("2026-11-30"), day("2041-10-01") + 0.999])
    np.testing.assert_array_equal(got, [OBSERVED, SHORT_FORECAST, SHORT_FORECAST,
                                        LONG_FORECAST, LONG_FORECAST])
    assert not np.any(sw.regime == MODELLED)


def test_record_is_frozen_and_read_only(sw):
    with pytest.raises(dataclasses.FrozenInstanceError):
        sw.source = "x"
    with pytest.raises(ValueError):
        sw.f107_obs_sfu[0] = 0.0


# ------------------------------------------------------------------------------ MSIS inputs
def test_f107_is_the_previous_days_observed_value(sw):
    d3, d4 = fields(RAW_2022_02_03), fields(RAW_2022_02_04)
    t = day("2022-02-04") + np.array([0.0, 0.5, 86399 / 86400])
    m = sw.msis_inputs(t)
    np.testing.assert_array_equal(m.f107_prev_day_sfu, d3[30])  # observed 02-03: 126.5
    assert d3[30] != d3[26]  # ... not the adjusted 122.9
    np.testing.assert_array_equal(m.f107_ctr81_sfu, d4[31])  # centred mean of 02-04 itself
    np.testing.assert_array_equal(m.ap_daily, d4[22])
    np.testing.assert_array_equal(m.regime, OBSERVED)
    assert not m.f107_substituted.any() and not m.f107_interpolated.any()
    # at 00:00 of the next day the previous day becomes 02-04
    assert sw.msis_inputs(day("2022-02-05")).f107_prev_day_sfu == d4[30]


def test_ap_vector_hand_computed_from_raw_lines(sw):
    ap1, ap2, ap3, ap4 = (fields(r)[14:23] for r in (RAW_2022_02_01, RAW_2022_02_02,
                                                      RAW_2022_02_03, RAW_2022_02_04))
    # 2022-02-04T04:30 lies in the 03-06 UTC interval (index 1) of 02-04.
    m = sw.msis_inputs(day("2022-02-04") + 4.5 / 24)
    expected = [
        ap4[8],  # daily Ap of 02-04 = 32
        ap4[1],  # 03-06 UTC 02-04 = 27
        ap4[0],  # 00-03 UTC 02-04 = 27
        ap3[7],  # 21-24 UTC 02-03 = 12
        ap3[6],  # 18-21 UTC 02-03 = 15
        np.mean(ap3[0:6] + ap2[6:8]),  # 12-33 h before: 02-02 18 UTC to 02-03 18 UTC = 24.5
        np.mean(ap2[0:6] + ap1[6:8]),  # 36-57 h before: 02-01 18 UTC to 02-02 18 UTC = 11.5
    ]
    np.testing.assert_array_equal(m.ap_vector, expected)
    assert expected[5:] == [24.5, 11.5]


def test_msis_inputs_keep_the_shape_of_the_epochs(sw):
    t = day("2022-02-04") + np.arange(12).reshape(3, 4) / 8
    m = sw.msis_inputs(t)
    assert m.f107_prev_day_sfu.shape == (3, 4) and m.ap_vector.shape == (3, 4, 7)
    assert m.regime.shape == (3, 4)
    flat = sw.msis_inputs(t.ravel())
    np.testing.assert_array_equal(m.ap_vector.reshape(12, 7), flat.ap_vector)


def test_long_forecast_inputs_have_f107_but_no_ap(sw):
    m = sw.msis_inputs(day("2030-06-15") + 0.3)
    assert m.regime == LONG_FORECAST
    assert np.isfinite(m.f107_prev_day_sfu) and np.isfinite(m.f107_ctr81_sfu)
    assert np.all(np.isnan(m.ap_vector)) and np.isnan(m.ap_daily)


def test_storm_of_february_2022(sw):
    first = sw.first_day_j2000
    ap = sw.ap_daily[[day("2022-02-03") - first, day("2022-02-04") - first]]
    np.testing.assert_array_equal(ap, [26.0, 32.0])  # raw lines 23519-23520
    assert np.all(ap >= 20)
    assert sw.ap_daily[day("2022-02-01") - sw.first_day_j2000] == 6.0  # quiet before


def test_radio_burst_f107_is_substituted_and_flagged(sw):
    t = day("2011-03-08") + 0.5  # previous day 2011-03-07: observed F10.7 938.6 sfu
    m = sw.msis_inputs(t)
    assert m.f107_substituted.item()
    assert m.f107_prev_day_sfu == 115.0  # centred 81-day mean of 2011-03-07
    raw = sw.msis_inputs(t, f107_burst_threshold_sfu=None)
    assert raw.f107_prev_day_sfu == 938.6 and not raw.f107_substituted.item()


def _write_pymsis_csv(path, raw_lines):
    """CelesTrak SW-All.csv layout (as pymsis 0.13 reads it) from raw fixed-width lines."""
    header = (
        "DATE,BSRN,ND,KP1,KP2,KP3,KP4,KP5,KP6,KP7,KP8,KP_SUM,AP1,AP2,AP3,AP4,AP5,AP6,AP7,AP8,"
        "AP_AVG,CP,C9,ISN,F10.7_OBS,F10.7_ADJ,F10.7_DATA_TYPE,F10.7_OBS_CENTER81,"
        "F10.7_OBS_LAST81,F10.7_ADJ_CENTER81,F10.7_ADJ_LAST81"
    )
    rows = [header]
    for line in raw_lines:
        t = line.split()
        assert len(t) == 33
        kind = "INT" if t[27] == "4" else "OBS"
        rows.append(",".join([f"{t[0]}-{t[1]}-{t[2]}", *t[3:26], t[30], t[26], kind, t[31],
                              t[32], t[28], t[29]]))
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("months", [("2022 01", "2022 02"), ("2011 02", "2011 03")])
def test_msis_inputs_match_pymsis(sw, packaged_lines, tmp_path, monkeypatch, months):
    pymsis_utils = pytest.importorskip("pymsis.utils")

    def no_download(*args, **kwargs):
        raise AssertionError("pymsis tried to download space-weather data")

    monkeypatch.setattr(pymsis_utils, "download_f107_ap", no_download)
    monkeypatch.setattr(urllib.request, "urlopen", no_download)
    state = pymsis_utils._SPACE_WEATHER  # restored after the test
    monkeypatch.setattr(state, "path", state.path)
    monkeypatch.setattr(state, "data", state.data)
    window = [line.rstrip("\r\n") for line in packaged_lines if line[:7] in months]
    assert len(window) == 59
    csv = tmp_path / "SW-All.csv"
    _write_pymsis_csv(csv, window)
    pymsis_utils.use_space_weather_file(csv)

    start = day(f"{months[0][:4]}-{months[0][5:]}-01")
    rng = np.random.default_rng(20220203)
    # every 3-hour boundary from 57 h after the window's start, plus random instants (whole s)
    t = np.concatenate([start + np.arange(19, 8 * len(window)) / 8,
                        start + 2.5 + rng.random(300) * (len(window) - 2.5)])
    dates = day_j2000_to_datetime64(t)
    t = datetime64_to_day_j2000(dates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pymsis warns about Q = 4 ("INT") days
        f107, f107a, ap = pymsis_utils.get_f107_ap(dates)
    m = sw.msis_inputs(t)
    np.testing.assert_array_equal(m.f107_prev_day_sfu, f107)
    np.testing.assert_array_equal(m.f107_ctr81_sfu, f107a)
    # same sums in a different order (pymsis uses a convolution): 1e-12 relative is round-off
    np.testing.assert_allclose(m.ap_vector, ap, rtol=1e-12, atol=0)
    assert np.all(np.isfinite(ap))
    if months[1] == "2011 03":  # the radio burst of 2011-03-07 is inside this window
        assert m.f107_substituted.any()


def test_dates_outside_the_data_raise(sw):
    with pytest.raises(SpaceWeatherError, match=r"1957-09-30.*1957-10-01 to 2041-10-01"):
        sw.regime_of(day("1957-09-30"))
    with pytest.raises(SpaceWeatherError, match=r"2041-10-02.*1957-10-01 to 2041-10-01"):
        sw.regime_of(day("2041-10-02"))
    with pytest.raises(SpaceWeatherError, match=r"2041-10-02.*before 2041-10-02"):
        sw.msis_inputs([day("2030-01-01"), day("2041-10-02")])
    # the 3-hour ap history needs 57 h of data before the epoch
    with pytest.raises(SpaceWeatherError, match=r"1957-10-03T08:59:59Z.*1957-10-03T09:00:00Z"):
        sw.msis_inputs(day("1957-10-03") + (9 * 3600 - 1) / 86400)
    assert sw.msis_inputs(day("1957-10-03") + 9 / 24).ap_vector.shape == (7,)
    assert sw.msis_inputs(day("2041-10-01") + 0.99).regime == LONG_FORECAST
    with pytest.raises(SpaceWeatherError, match="finite"):
        sw.msis_inputs(np.nan)


# ------------------------------------------------------------------------------ user files
def test_user_file_plain_and_gzip(sw, packaged_lines, tmp_path):
    text = "".join(packaged_lines).encode("ascii")
    plain, packed = tmp_path / "SW-All.txt", tmp_path / "SW-All.txt.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text, compresslevel=1))
    for path in (plain, packed):
        user = load_space_weather(path)
        assert user.source == str(path) and user.sha256 == PACKAGED_SHA256
        np.testing.assert_array_equal(user.f107_obs_sfu, sw.f107_obs_sfu)
        np.testing.assert_array_equal(user.ap_3h, sw.ap_3h)


def _corrupt(lines: list[str], lineno: int, new: str | None) -> list[str]:
    """Copy of ``lines`` with 1-based line ``lineno`` replaced (or deleted if ``new`` is None)."""
    out = list(lines)
    if new is None:
        del out[lineno - 1]
    else:
        out[lineno - 1] = new + "\r\n"
    return out


def _line(lines: list[str], lineno: int) -> str:
    return lines[lineno - 1].rstrip("\r\n")


CORRUPTIONS = {
    # name: (line to change, function of the original line or None to delete,
    #        line number the error must name, phrase the message must contain)
    "truncated line": (1000, lambda s: s[:80], 1000, "expected 33 fields in 130 columns"),
    "letter in a number": (1000, lambda s: s[:114] + "x" + s[115:], 1000,
                           "field 'F10.7 Obs' (columns 113-118, format F6.1) is not a number"),
    "missing day": (1000, None, 1000, "does not follow"),
    "missing END marker": (25235, None, 25235, "missing 'END OBSERVED'"),
    "blank field": (1000, lambda s: s[:46] + "    " + s[50:], 1000,
                    "expected 33 fields in a row of the OBSERVED section, got 32: blank 'Ap1'"),
    "count mismatch": (16, lambda s: "NUM_OBSERVED_POINTS 25218", 16,
                       "NUM_OBSERVED_POINTS says 25218 rows but the OBSERVED section has 25217"),
    "invalid date": (1000, lambda s: s[:8] + "31" + s[10:], 1000, "invalid date 1960-06-31"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupt_files_name_the_file_and_line(packaged_lines, tmp_path, name):
    lineno, change, expected_line, phrase = CORRUPTIONS[name]
    original = _line(packaged_lines, lineno)
    lines = _corrupt(packaged_lines, lineno, None if change is None else change(original))
    path = tmp_path / "SW-All.txt"
    path.write_text("".join(lines), newline="")
    with pytest.raises(SpaceWeatherError) as info:
        load_space_weather(path)
    message = str(info.value)
    assert message.startswith(f"{path} line {expected_line}: "), message
    assert phrase in message, message


def test_corrupt_file_error_quotes_the_line(packaged_lines):
    lines = _corrupt(packaged_lines, 20, _line(packaged_lines, 20)[:100])
    with pytest.raises(SpaceWeatherError, match=r"^SW-All.txt line 20: .*'1957 10 03 1700 21"):
        parse_sw_all(lines, "SW-All.txt")


def test_missing_section_raises(packaged_lines):
    # drop the whole MONTHLY_PREDICTED section (its count, markers and rows)
    end = next(i for i, s in enumerate(packaged_lines) if s.startswith("NUM_MONTHLY"))
    pattern = rf"line {end}: .*section MONTHLY_PREDICTED missing"
    with pytest.raises(SpaceWeatherError, match=pattern):
        parse_sw_all(packaged_lines[:end], "SW-All.txt")


def test_monthly_minus_one_ap_reads_as_missing(packaged_lines):
    # some versions of the file write Ap = -1 in monthly predictions: missing, not an error
    lineno = 25289
    raw = _line(packaged_lines, lineno)
    lines = _corrupt(packaged_lines, lineno, raw[:78] + "  -1" + raw[82:])
    sw = parse_sw_all(lines, "SW-All.txt")
    assert np.isnan(sw.ap_daily[day("2027-01-01") - sw.first_day_j2000])
    # ... but in observed rows a negative Ap is an error
    raw = _line(packaged_lines, 1000)
    with pytest.raises(SpaceWeatherError, match=r"line 1000: field 'Ap Avg' .* is negative"):
        parse_sw_all(_corrupt(packaged_lines, 1000, raw[:78] + "  -1" + raw[82:]), "x")
