#!/usr/bin/env python3
"""Checks an HTML report of fidrun against the results file it was made
from, read independently with h5py and pandas:

  - the page is self-contained: no <script>, <link>, <iframe>, and every
    src/href is a data: URL or a fragment;
  - every plot is a data:image/svg+xml URL holding a well-formed SVG with
    a width and height;
  - the checks table lists the file's checks, failed first;
  - every "values plotted" table equals what pandas computes from the
    results tables (same grouping, same aggregate), to the 6 digits shown.

    check_html_report.py REPORT.html RESULTS.h5 [--no-plots]

Prints one line (plots, tables and values checked); exit 1 with the
differences when something does not match.
"""
import argparse
import base64
import math
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import h5py
import numpy as np
import pandas as pd


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []
        self.plots = []            # (alt, src)
        self.plot_tables = {}      # id -> rows of cells (header first)
        self.checks = []           # rows of cells
        self.section = None
        self.table = None
        self.row = None
        self.cell = None
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.problems.append(f"<{tag}> in a self-contained page")
        for k in ("src", "href"):
            v = a.get(k)
            if v is not None and not (v.startswith("data:") or v.startswith("#")):
                self.problems.append(f"{tag} {k}={v[:60]!r} would be fetched")
        if "id" in a:
            if a["id"] in self.ids:
                self.problems.append(f"id {a['id']!r} used twice")
            self.ids.add(a["id"])
        if tag == "section":
            self.section = a.get("id")
        elif tag == "img" and "plot" in a.get("class", "").split():
            self.plots.append((a.get("alt", ""), a.get("src", "")))
        elif tag == "table":
            if "data-plot" in a:
                self.table = self.plot_tables.setdefault(a["data-plot"], [])
            elif self.section == "checks":
                self.table = self.checks
            else:
                self.table = None
        elif tag == "tr" and self.table is not None:
            self.row = []
            self.table.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.table = None
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def frame(f, name):
    df = pd.DataFrame(f[name][()])
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].str.decode("utf-8")
    return df


def expected_tables(f):
    """id -> {(category, series): value}, computed with pandas."""
    want = {}
    names = set()
    f.visit(names.add)

    def put(pid, df, cat, ser, val, agg, logy=False):
        d = df[[cat, ser, val]].replace([np.inf, -np.inf], np.nan).dropna()
        if logy:
            d = d[d[val] > 0]
        g = d.groupby([cat, ser], sort=False)[val].agg(agg)
        want.setdefault(pid, {}).update({k: v for k, v in g.items()})

    if "osft/matrices" in names:
        m = frame(f, "osft/matrices")
        for col, ser in (("max_abs_err", "max |W - W'|"), ("rel_fro_err", "relative Frobenius error")):
            m["s"] = ser
            put("osft-error", m, "target", "s", col, "max", logy=True)
    for suite in ("osft", "balance", "quant"):
        if f"{suite}/ranks" in names:
            r = frame(f, f"{suite}/ranks")
            r["rank_s"] = r["rank"].astype(str)
            r["p"] = 100 * r["predicted_cost"] / r["predicted_cost"].sum()
            r["b"] = 100 * r["busy_seconds"] / r["busy_seconds"].sum()
            r["s1"], r["s2"] = "predicted cost", "measured busy time"
            put(f"{suite}-load", r, "rank_s", "s1", "p", "sum")
            put(f"{suite}-load", r, "rank_s", "s2", "b", "sum")
    if "balance/partition" in names:
        p = frame(f, "balance/partition")
        p["ranks_s"] = p["ranks"].astype(str)
        for i, dist in enumerate(dict.fromkeys(p["distribution"])):
            put(f"balance-gap-{i + 1}", p[p["distribution"] == dist], "ranks_s", "algorithm", "gap", "mean", logy=True)
    if "balance/packing" in names:
        k = frame(f, "balance/packing")
        k["cat"] = k["distribution"] + " P=" + k["ranks"].astype(str)
        put("packing-rows", k, "cat", "algorithm", "rows", "max")
        k["lb"] = "lower bound"
        put("packing-rows", k, "cat", "lb", "rows_lower_bound", "max")
        put("packing-efficiency", k, "cat", "algorithm", "overall_efficiency", "max")
    if "quant/layers" in names:
        q = frame(f, "quant/layers")
        q["cat"] = [f"b{b} g{g}" if g > 0 else f"b{b} per row" for b, g in zip(q["bits"], q["group_size"])]
        q["ser"] = q["method"] + np.where(q["act_order"] > 0, " act-order", "")
        put("quant-sqnr", q, "cat", "ser", "sqnr_db", "mean")
        put("quant-error", q, "cat", "ser", "rel_out_err", "mean", logy=True)
    if "quant/kernels" in names:
        k = frame(f, "quant/kernels")
        k["cat"] = [f"{l} b{b} g{g} x{x}" for l, b, g, x in zip(k["layer"], k["bits"], k["group_size"], k["batch"])]
        k["pct"] = 100 * k["bandwidth_ratio"]
        put("kernel-bandwidth", k, "cat", "accum", "pct", "mean")
    return {pid: v for pid, v in want.items() if v}


def shown_values(rows):
    header, got = rows[0], {}
    for r in rows[1:]:
        for ser, cell in zip(header[1:], r[1:]):
            if cell:
                got[(r[0], ser)] = float(cell)
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("results")
    ap.add_argument("--no-plots", action="store_true", help="the page was made without gnuplot")
    args = ap.parse_args()
    page = Page()
    page.feed(open(args.report, encoding="utf-8").read())
    problems = list(page.problems)

    for alt, src in page.plots:
        prefix = "data:image/svg+xml;base64,"
        if not src.startswith(prefix):
            problems.append(f"plot {alt!r} is not an SVG data URL")
            continue
        try:
            svg = ET.fromstring(base64.b64decode(src[len(prefix):], validate=True))
            if not svg.tag.endswith("svg") or not svg.get("width") or not svg.get("height"):
                problems.append(f"plot {alt!r}: root <{svg.tag}> without width and height")
        except Exception as e:  # noqa: BLE001 - any decoding or XML error is the finding
            problems.append(f"plot {alt!r}: {e}")
    if args.no_plots and page.plots:
        problems.append(f"{len(page.plots)} plots drawn without gnuplot")

    with h5py.File(args.results, "r") as f:
        checks = frame(f, "checks")
        want = expected_tables(f)
    shown = [(r[1], r[5]) for r in page.checks[1:]]
    results = ["FAILED" if not p else "passed" for p in checks["pass"]]
    if sorted(shown) != sorted(zip(checks["name"], results)):
        problems.append(f"checks shown {shown} differ from the file's")
    if [r for _, r in shown] != sorted((r for _, r in shown), key=lambda r: r != "FAILED"):
        problems.append("failed checks are not listed first")

    if set(page.plot_tables) != set(want):
        problems.append(f"plots {sorted(page.plot_tables)} differ from those expected {sorted(want)}")
    nvalues = 0
    for pid in sorted(set(page.plot_tables) & set(want)):
        got = shown_values(page.plot_tables[pid])
        if set(got) != set(want[pid]):
            problems.append(f"{pid}: cells {sorted(set(got) ^ set(want[pid]))[:6]} in one only")
        for key in set(got) & set(want[pid]):
            w = want[pid][key]
            if not math.isclose(got[key], w, rel_tol=1e-5, abs_tol=1e-300):
                problems.append(f"{pid} {key}: shown {got[key]}, pandas {w}")
        nvalues += len(got)
    if not args.no_plots and len(page.plots) != len(want):
        problems.append(f"{len(page.plots)} plots drawn, {len(want)} plots with values")

    for p in problems:
        print("FAIL", p)
    if problems:
        return 1
    print(f"{len(page.plots)} SVG plots, {len(page.plot_tables)} plotted-value tables ({nvalues} values) equal to "
          f"pandas' reading, {len(shown)} checks listed failed first")
    return 0


if __name__ == "__main__":
    sys.exit(main())
