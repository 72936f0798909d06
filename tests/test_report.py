"""The HTML report and run comparisons, from small real runs (F200 density table).

- every figure and table is present, embedded as PNG and written beside the HTML;
- per scenario a short decision table on top, the full risk table (with the summary.json
  keys) folded in a <details>; the altitude fan has bands, a deorbit vehicle or not;
- every number in the page is the value of summary.json (exact repr in ``data-value``, and
  the visible text rounds that value);
- user strings (title, description) appear only escaped;
- ground-risk figures show "not computed in this run" when absent, their values when present;
- compare_runs: paired standard errors under common random numbers, independent otherwise.
"""
import json
import math
import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest

import deorbit
from deorbit import runner
from deorbit.report import compare_runs, format_comparison, write_report
from deorbit.report.html import DECISION_METRICS, GROUND_METRICS, NOT_COMPUTED
from deorbit.scenario import load_scenario
from deorbit.store import RunStore

from .scenario_fixtures import DEORBIT, write_scenario

XSS = "<script>alert(1)</script>"
XSS_DESCRIPTION = '<img src=x onerror="alert(2)"> & more'
FIGURES = ("reentry-cdf", "altitude-fan", "impact-map", "footprint-length")


def _quiet(*_args):
    pass


def _write(path, f200, name, **kw):
    """A fixture scenario in its own directory, with optional text replacements."""
    path.mkdir(parents=True, exist_ok=True)
    replace = kw.pop("replace", {})
    p = write_scenario(path, f200, name=name, **kw)
    text = p.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    p.write_text(text)
    return load_scenario(p)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, f200, client):
    """A run of two scenarios: natural decay with a hostile title, and a deorbit vehicle."""
    base = tmp_path_factory.mktemp("report")
    title = f"title = '{XSS} \"2030\" & co'\ndescription = '''{XSS_DESCRIPTION}'''"
    plain = _write(base / "a", f200, "plain", horizon=0.1, samples=16, block=8,
                   replace={'title = "test scenario"': title})
    extra = DEORBIT.format(p_fail=0.1, dv_err=0.02, point_err=1.0, time_err=5.0)
    dv = _write(base / "b", f200, "with-dv", horizon=1.0, bc=104.0, samples=12, block=6,
                extra=extra, profile="F107_70_Ap_4")
    out = base / "run"
    runner.run([plain, dv], out, client=client, progress=False, log=_quiet)
    return out


@pytest.fixture(scope="module")
def report(run_dir):
    path = write_report(run_dir)
    return path, path.read_text(encoding="utf-8")


class _Page(HTMLParser):
    """Collects the number spans, element ids, images and the text of the page."""

    def __init__(self):
        super().__init__()
        self.nums, self.ids, self.imgs = [], {}, []
        self._open = []      # stack of [attrs, text] for num spans (nesting-safe)
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = tag
        if tag == "img":
            self.imgs.append(a)
        if tag == "span" and "num" in a.get("class", "").split():
            self._open.append([a, []])
        elif tag == "span" and self._open:
            self._open.append(None)

    def handle_endtag(self, tag):
        if tag == "span" and self._open:
            top = self._open.pop()
            if top is not None:
                self.nums.append((top[0], "".join(top[1]).strip()))

    def handle_data(self, data):
        self.text.append(data)
        for entry in self._open:
            if entry is not None:
                entry[1].append(data)


def _parse(page):
    p = _Page()
    p.feed(page)
    return p


def _summary(run_dir):
    return json.loads((run_dir / "summary.json").read_text())


def test_every_figure_and_table_is_present(run_dir, report):
    path, page = report
    assert path == run_dir / "report" / "report.html"
    p = _parse(page)
    assert p.ids.get("side-by-side") == "table"
    assert page.index('id="side-by-side"') < page.index('id="scenario-plain"')  # table first
    for name in ("plain", "with-dv"):
        assert p.ids.get(f"risk-{name}") == "table"
        assert p.ids.get(f"scenario-{name}") == "section"
        for fig in FIGURES:
            assert f"fig-{name}-{fig}" in p.ids, (name, fig)
    imgs = {i["alt"]: i["src"] for i in p.imgs}
    assert len(imgs) >= 6
    import base64

    for name in ("plain", "with-dv"):
        for fig in FIGURES[:3]:
            png = path.parent / f"{name}-{fig}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            embedded = [s for s in imgs.values()
                        if base64.b64decode(s.split(",", 1)[1]) == png.read_bytes()]
            assert len(embedded) == 1, (name, fig)
    assert all(s.startswith("data:image/png;base64,") for s in imgs.values())
    # Self-contained: no external resource, no script.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page.lower()
    # Footprint lengths are not in the blocks yet: said so, no figure.
    if "footprint_length_km" not in RunStore(run_dir).read_block("plain", 0):
        assert p.ids["fig-plain-footprint-length"] == "figure"
        assert "not-computed" in page
    # The solar fan is missing and the caption says why.
    assert page.count("No solar-activity fan is drawn beneath this chart") == 2


@pytest.mark.parametrize("name, samples, times", [("plain", 16, 1),   # all down by day 30
                                                  ("with-dv", 12, 2)])
def test_decision_table_then_the_full_table_folded(report, name, samples, times):
    _, page = report
    section = page[page.index(f'id="scenario-{name}"'):]
    section = section[: section.index("</section>")]
    decision = re.search(r'<table class="decision-table" id="decision-([^"]+)">(.*?)</table>',
                         section, re.S)
    assert decision.group(1) == name
    rows = re.findall(r"<tr><th scope=\"row\">", decision.group(2))
    assert len(rows) == len(DECISION_METRICS)
    shown = re.findall(r'data-metric="([^"]+)"(?! data-field)', decision.group(2))
    assert [m for m in shown if m in DECISION_METRICS] == list(DECISION_METRICS)
    assert "<code>" not in decision.group(2)            # no summary.json keys up here
    folded = re.search(r'<details class="risk-details"><summary>(.*?)</summary>(.*?)</details>',
                       section, re.S)
    assert folded.start() >= decision.end()
    assert f'id="risk-{name}"' in folded.group(2) and "summary.json key" in folded.group(2)
    # The altitude fan: bands while samples are in orbit, every sample's history stored
    # (with-dv: through the deorbit sequence).
    fan = re.search(rf'<figure id="fig-{name}-altitude-fan"([^>]*)>', section).group(1)
    attrs = dict(re.findall(r'data-([a-z-]+)="(\d+)"', fan))
    assert int(attrs["band-times"]) >= times
    assert int(attrs["samples-with-history"]) == samples


def _expected_text(metric, fig):
    """What the visible text must start with, from the summary value alone."""
    v = fig["value"]
    if v is None:
        return "after the horizon"
    if "date_utc" in fig:
        return fig["date_utc"]
    if fig["unit"] == "count":
        return f"{v:,}"
    return None


def test_numbers_equal_summary_json(run_dir, report):
    _, page = report
    summary = _summary(run_dir)
    p = _parse(page)
    assert p.nums
    seen = set()
    for attrs, text in p.nums:
        name, metric = attrs["data-scenario"], attrs["data-metric"]
        metrics = summary["scenarios"][name]["metrics"]
        if metric not in metrics:
            assert metric in GROUND_METRICS
            assert text == NOT_COMPUTED and "data-value" not in attrs
            continue
        fig = metrics[metric]
        seen.add((name, metric))
        if "data-field" in attrs:  # e.g. the interval of a mean: ci_low, ci_high
            assert float(attrs["data-value"]) == fig[attrs["data-field"]]
            continue
        v = fig["value"]
        if v is None:
            assert attrs["data-value"] == ""
        else:
            assert float(attrs["data-value"]) == v, (name, metric)  # exact repr round trip
        se = fig.get("standard_error")
        assert (attrs["data-se"] == "") if se is None else float(attrs["data-se"]) == se
        want = _expected_text(metric, fig)
        if want is not None:
            assert text.startswith(want), (metric, text, want)
        elif fig["unit"] == "probability":
            shown = float(re.match(r"([-\d.]+) %", text).group(1))
            assert abs(shown - 100 * v) <= 0.05 + 1e-9, (metric, text, v)
            if se is not None:
                shown_se = float(re.search(r"± ([-\d.e]+)", text).group(1))
                assert abs(shown_se - 100 * se) <= 0.05 + 1e-9
        elif fig["unit"] == "days":
            shown = float(re.match(r"([-\d,.]+) d", text).group(1).replace(",", ""))
            assert abs(shown - v) <= 0.5
    # Every figure of summary.json is in the page.
    every = {(n, m) for n, s in summary["scenarios"].items() for m in s["metrics"]}
    assert every <= seen


def test_user_strings_only_escaped(report):
    _, page = report
    assert XSS not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; more" in page
    assert "&quot;2030&quot; &amp; co" in page


def test_ground_metrics_shown_when_present(run_dir, tmp_path):
    """With the ground-risk figures in summary.json and the blocks, the page shows them."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run, ignore=shutil.ignore_patterns("report"))
    summary = _summary(run)
    store = RunStore(run)
    manifest = store.read_manifest()
    for i, entry in enumerate(manifest["scenarios"]):
        over = i == 0
        summary["scenarios"][entry["name"]]["metrics"].update({
            "ec_mean": {"value": 2.5e-4 if over else 3.25e-5, "standard_error": 1.5e-5,
                        "unit": "casualties per reentry", "ci_low": 1e-6,
                        "ci_high": 9e-4 if over else 8e-5, "confidence": 0.9},
            "p_ec_above_1e-4": {"value": 0.375, "standard_error": 0.05, "unit": "probability"},
            "p_debris_outside_zone": {"value": 0.125, "standard_error": 0.0625,
                                      "unit": "probability"},
            "footprint_length_p50_km": {"value": 1234.5, "standard_error": 56.0, "unit": "km"},
            "footprint_length_p99_km": {"value": 2345.6, "standard_error": None, "unit": "km"},
        })
        for b in entry["blocks_used"]:
            arrays = store.read_block(entry["name"], b)
            n = arrays["sample"].size
            arrays["footprint_length_km"] = np.linspace(800.0, 2400.0, n)
            store.write_block(entry["name"], b, arrays)
    (run / "summary.json").write_text(json.dumps(summary))
    page = write_report(run).read_text()
    p = _parse(page)
    values = {(a["data-scenario"], a["data-metric"]): (a.get("data-value"), t)
              for a, t in p.nums if "data-field" not in a}  # not the interval's ends
    for name in ("plain", "with-dv"):
        for metric in GROUND_METRICS:
            value, text = values[(name, metric)]
            assert float(value) == summary["scenarios"][name]["metrics"][metric]["value"]
            assert text != NOT_COMPUTED
        assert p.ids[f"fig-{name}-footprint-length"] == "figure"
    assert values[("plain", "ec_mean")][1] == "2.50e-04 ± 1.5e-05"
    assert values[("plain", "footprint_length_p50_km")][1] == "1,234 km ± 56"
    assert "over the 1e-4 limit" in page          # plain: Ec mean over the limit
    assert "below 1e-4" in page                   # with-dv: mean and interval below it
    imgs = [i for i in p.imgs if i["alt"].startswith("Footprint length")]
    assert len(imgs) == 2
    assert NOT_COMPUTED not in page


# -- compare_runs ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory, f200, client):
    """Run A (seed 7), B (seed 7, BC +10 %: common random numbers), C (seed 8, like A)."""
    base = tmp_path_factory.mktemp("compare")
    specs = {"A": dict(bc=60.0), "B": dict(bc=66.0),
             "C": dict(bc=60.0, replace={"seed = 7": "seed = 8"})}
    out = {}
    for key, kw in specs.items():
        s = _write(base / key, f200, "t", horizon=0.03, samples=24, block=8, **kw)
        out[key] = base / f"run-{key}"
        runner.run([s], out[key], client=client, progress=False, log=_quiet)
    return out


def _per_sample(run):
    return deorbit.load_run(run).sort_values("sample").reset_index(drop=True)


def test_compare_paired_under_common_random_numbers(runs):
    res = compare_runs(runs["A"], runs["B"])
    (c,) = res["comparisons"]
    assert c["paired"] and c["method"].startswith("paired")
    sa, sb = (_summary(runs[k])["scenarios"]["t"]["metrics"] for k in "AB")
    a, b = _per_sample(runs["A"]), _per_sample(runs["B"])
    # The in-orbit share differs (higher BC lives longer): its paired se from the per-sample
    # differences of the indicator.
    d = (b["outcome"] == 3).astype(float) - (a["outcome"] == 3).astype(float)
    m = c["metrics"]["p_in_orbit_at_horizon"]
    assert m["se_method"] == "paired"
    assert m["difference"] == sb["p_in_orbit_at_horizon"]["value"] - \
        sa["p_in_orbit_at_horizon"]["value"]
    assert m["standard_error"] == pytest.approx(np.std(d, ddof=1) / math.sqrt(len(d)),
                                                rel=1e-12)
    # Quantiles: paired bootstrap, much sharper than the independent formula.
    q = c["metrics"]["lifetime_p50_days"]
    assert q["se_method"].startswith("paired bootstrap")
    independent = math.hypot(sa["lifetime_p50_days"]["standard_error"],
                             sb["lifetime_p50_days"]["standard_error"])
    assert 0 < q["standard_error"] < 0.5 * independent
    assert q["difference"] > 0  # a larger ballistic coefficient lives longer
    text = format_comparison(res)
    assert "paired: common random numbers (seed 7, block size 8" in text
    assert "lifetime P50" in text


def test_compare_independent_when_seeds_differ(runs):
    (c,) = compare_runs(runs["A"], runs["C"])["comparisons"]
    assert not c["paired"] and "seeds differ (7 vs 8)" in c["method"]
    sa, sc = (_summary(runs[k])["scenarios"]["t"]["metrics"] for k in "AC")
    for metric, m in c["metrics"].items():
        if m["difference"] is None:
            continue
        assert m["se_method"] == "independent"
        assert m["difference"] == sc[metric]["value"] - sa[metric]["value"]
        ses = (sa[metric]["standard_error"], sc[metric]["standard_error"])
        if None not in ses:
            assert m["standard_error"] == math.sqrt(ses[0] ** 2 + ses[1] ** 2)
    assert "independent: the seeds differ" in format_comparison(
        compare_runs(runs["A"], runs["C"]))


def test_compare_a_run_with_itself_is_zero(runs):
    (c,) = compare_runs(runs["A"], runs["A"], scenario_a="t")["comparisons"]
    assert c["paired"]
    for m in c["metrics"].values():
        if m["difference"] is not None:
            assert m["difference"] == 0.0
            assert m["standard_error"] in (0.0, None)
    with pytest.raises(ValueError, match="not in run B"):
        compare_runs(runs["A"], runs["B"], scenario_a="t", scenario_b="nope")


# -- the metrics registry: every output reads it -------------------------------------------
def test_every_registry_metric_in_summary_json_and_the_full_table(run_dir, report):
    """summary.json holds the registry's figures under their keys, in registry order, and
    nothing else; the report's full table has a row (with the key) for each of them."""
    from deorbit.metrics import METRICS, REGISTRY, report_order

    _, page = report
    order = [m.key for m in REGISTRY]
    shown = [m.key for m in report_order()]
    seen = set()
    for name, s in _summary(run_dir)["scenarios"].items():
        keys = list(s["metrics"])
        assert keys == [k for k in order if k in keys], name   # registry order, no stranger
        seen |= set(keys)
        table = re.search(rf'<table class="risk-table" id="risk-{re.escape(name)}">(.*?)'
                          "</table>", page, re.S).group(1)
        assert re.findall(r"<code>([^<]+)</code>", table) == [k for k in shown if k in keys]
    # the two scenarios between them have every figure (but those of altitude maintenance,
    # which they do not have: tests/test_sweep.py)
    assert seen == {k for k in order if METRICS[k].group != "maintenance"}


def test_every_compared_metric_in_compare_output(runs):
    from deorbit.metrics import COMPARED, METRICS, short_label

    for other in "BC":                      # paired, then independent
        res = compare_runs(runs["A"], runs[other])
        (c,) = res["comparisons"]
        assert list(c["metrics"]) + c["not_in_both"] == list(COMPARED)
        assert not c["not_in_both"]
        text = format_comparison(res)
        for key in COMPARED:
            assert f"\n  {short_label(METRICS[key])} " in text, key


def _copy_runs(runs, tmp_path):
    out = {}
    for k in "AB":
        out[k] = tmp_path / k
        shutil.copytree(runs[k], out[k], ignore=shutil.ignore_patterns("report"))
    return out


def test_compare_refuses_a_figure_it_cannot_pair(runs, tmp_path):
    """A summary.json that the registry's per-sample definition does not reproduce, or
    blocks without the figure's column: an error naming the figure, never a quiet switch
    to independent standard errors."""
    from deorbit.report import CompareError

    copies = _copy_runs(runs, tmp_path)
    path = copies["B"] / "summary.json"
    summary = json.loads(path.read_text())
    fig = summary["scenarios"]["t"]["metrics"]["p_controlled"]
    fig["value"] = fig["value"] + 0.125
    path.write_text(json.dumps(summary))
    with pytest.raises(CompareError, match=r"p_controlled \(P\(controlled entry\)\): cannot "
                                           r"pair it: .* summary.json says"):
        compare_runs(copies["A"], copies["B"])
    # Independent standard errors (different seeds) are a stated mode: no per-sample check.
    (c,) = compare_runs(runs["C"], copies["B"])["comparisons"]
    assert not c["paired"] and c["metrics"]["p_controlled"]["se_method"] == "independent"
    # The CLI says it in one line, exit status 2.
    from deorbit.cli import main

    assert main(["compare", str(copies["A"]), str(copies["B"])]) == 2

    shutil.copy(runs["B"] / "summary.json", path)
    store = RunStore(copies["A"])
    for b in store.read_manifest()["scenarios"][0]["blocks_used"]:
        arrays = store.read_block("t", b)
        del arrays["ec"]
        store.write_block("t", b, arrays)
    with pytest.raises(CompareError, match=r"ec_mean \(Ec \(mean\)\): cannot pair it: the "
                                           "blocks of scenario 't' of run A .* have no ec"):
        compare_runs(copies["A"], copies["B"])


def test_compare_has_no_unpaired_kind():
    """A kind without a paired difference is refused by name (and kept out of COMPARED)."""
    from deorbit.metrics import METRICS
    from deorbit.report import CompareError
    from deorbit.report.compare import _paired_se

    x = np.zeros(4)
    with pytest.raises(CompareError, match="ec_given_uncontrolled_mean"):
        _paired_se(METRICS["ec_given_uncontrolled_mean"], x, x, 10)
