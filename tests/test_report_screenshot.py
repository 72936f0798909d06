"""The report as a browser shows it: every built-in scenario's altitude fan has data.

A small run of the five built-in scenarios (20 samples each), its report, and a screenshot
by headless Chromium through ``benchmarks/screenshot_report.sh`` (which also fails on a
console error of the page). Checked:

- the report says what each fan draws (``data-band-times``: history times with bands while
  a sample is still in orbit;
  ``data-samples-with-history``: samples whose altitude is stored at every time until their
  reentry), and it is a fan for every scenario: bands at more than one time, every sample
  stored;
- each fan PNG the report embeds has its P25-P75 band painted over part of its area;
- the screenshot is not blank and shows the five fans, one below the other in the page's
  order: as many band pixels in each as in its PNG.

Skipped when Chromium is not installed (Debian: ``apt-get install -y chromium``).
"""
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster

from deorbit import runner
from deorbit.report import write_report
from deorbit.scenario import load_scenario

BUILTIN = ("iss-early", "iss-2028", "iss-2030", "iss-uncontrolled", "smallsat-lifetime")
SCRIPT = Path(__file__).parents[1] / "benchmarks" / "screenshot_report.sh"
#: The inner (P25-P75) band of the fan, RGB: drawn by figures.altitude_fan_png only.
BAND_RGB = (0x42, 0x92, 0xC6)
#: Per-channel tolerance on that colour, out of 255 (the browser may resample or
#: colour-manage the embedded PNG slightly).
RGB_TOL = 6
#: Least share of a fan PNG's pixels in the inner band, measured on the five built-in
#: scenarios at 20 samples (10-15 %); an empty fan ("no stored altitude history") has none.
MIN_BAND_SHARE = 0.02
#: Window of the screenshot, CSS pixels (the five-scenario page is ~19,000 px tall).
WINDOW = (1280, 24000)

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium not installed "
                                "(Debian: apt-get install -y chromium)")


def _quiet(*_args):
    pass


class _Figures(HTMLParser):
    """The attributes of every <figure> of the page, by id."""

    def __init__(self):
        super().__init__()
        self.figures = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.figures[a["id"]] = a


def _band_mask(png_path):
    """Where a PNG has the colour of the fan's inner band: bool (height, width)."""
    from PIL import Image

    rgb = np.asarray(Image.open(png_path).convert("RGB"), dtype=np.int16)
    return (np.abs(rgb - np.array(BAND_RGB, dtype=np.int16)) <= RGB_TOL).all(axis=2)


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    """(report.html path, screenshot path) of a 20-sample run of the built-in scenarios."""
    out = tmp_path_factory.mktemp("screenshot") / "run"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        runner.run([load_scenario(n) for n in BUILTIN], out, samples=20, client=client,
                   progress=False, log=_quiet)
    html = write_report(out)
    png = html.parent / "report-screenshot.png"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}"}   # the script's python: this one (Pillow)
    done = subprocess.run(["sh", str(SCRIPT), str(html), str(png), *map(str, WINDOW)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "longer than the window" not in done.stderr
    return html, png


def test_every_fan_is_drawn(shot):
    html, _ = shot
    page = _Figures()
    page.feed(html.read_text(encoding="utf-8"))
    for name in BUILTIN:
        fig = page.figures[f"fig-{name}-altitude-fan"]
        assert int(fig["data-band-times"]) > 1, name
        assert int(fig["data-samples-with-history"]) == 20, name
        band = _band_mask(html.parent / f"{name}-altitude-fan.png")
        assert band.sum() >= MIN_BAND_SHARE * band.size, (name, band.mean())


def test_screenshot_shows_the_fans(shot):
    from PIL import Image

    html, png = shot
    im = Image.open(png)
    assert im.size[0] == WINDOW[0] and im.size[1] > 2000   # cropped below the page's end
    assert len(im.convert("L").getcolors(256 * 256)) > 50       # not blank
    per_row = _band_mask(png).sum(axis=1)
    rows = np.flatnonzero(per_row)
    fans = np.split(rows, np.flatnonzero(np.diff(rows) > 50) + 1)   # figures are far apart
    assert len(fans) == len(BUILTIN), [(f[0], f[-1]) for f in fans]
    for name, fan in zip(BUILTIN, fans):   # (the legend's swatch alone is not a fan)
        band = _band_mask(html.parent / f"{name}-altitude-fan.png")
        assert per_row[fan].sum() >= 0.9 * max(band.sum(), MIN_BAND_SHARE * band.size), name
