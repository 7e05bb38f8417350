#!/usr/bin/env bash
# HTML reports: `fidrun report --format html`, `fidrun compare --format
# html` and `--html` on a run. Each page is checked against the results file
# read by h5py and pandas (tests/tools/check_html_report.py), then opened in
# headless Chromium (tests/tools/browser_check.py): every plot renders, no
# console errors, nothing fetched. Screenshots are kept in build/artifacts/.
# Ends with "reports: N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

echo "reports (HTML with gnuplot plots; $(gnuplot --version 2>/dev/null || echo 'no gnuplot'); $(chromium --version 2>/dev/null || echo 'no chromium'))"
artifacts=build/artifacts
mkdir -p "$artifacts"
have_gnuplot=$(command -v gnuplot || true)
have_chromium=$(command -v chromium || command -v chromium-browser || true)
# need_gnuplot NAME: true when gnuplot is here, else `missing NAME`
need_gnuplot() {
  [ -n "$have_gnuplot" ] && return 0
  missing "$1" "gnuplot, which draws the plots (Debian: gnuplot-nox)"
  return 1
}

# browse NAME HTML: headless Chromium on the page; the screenshot is kept
browse() {
  local name=$1 html=$2
  if [ -z "$have_chromium" ]; then missing "$name in headless Chromium" "chromium (Debian: chromium)"; return; fi
  need_py "$name in headless Chromium" || return
  local log=$work/browser-$name.log
  timeout 180 "$PY" tests/tools/browser_check.py "$html" "$artifacts/report-$name.png" >"$log" 2>&1
  local brc=$?
  if [ $brc -eq 0 ]; then ok "$name in headless Chromium: $(tail -n1 "$log" | sed 's/ · screenshot.*//'), no console errors, nothing fetched; screenshot $artifacts/report-$name.png"
  else out=$log bad "$name in headless Chromium" "exit $brc"; fi
}

# check_page NAME HTML H5 [--no-plots]: the page against h5py/pandas' reading of the file
check_page() {
  local name=$1 html=$2 h5=$3
  shift 3
  need_py "$name against h5py/pandas" || return
  local msg
  if msg=$("$PY" tests/tools/check_html_report.py "$html" "$h5" "$@" 2>&1); then ok "$name: $msg"
  else bad "$name against h5py/pandas" "$msg"; fi
}

# 1. a run with failing checks (atol = rtol = 0) and --html; the page lists them first
mpirun_fidrun 2 $smoke --out "$work/osft" -q --only 'model.layers.0.*' --set suites.osft.atol=0 \
  --set suites.osft.rtol=0 --html "$work/osft.html"
osft=$(newest "$work/osft")
if [ $rc -eq 1 ] && grep -q "^html: $work/osft.html" "$out" && [ -s "$work/osft.html" ] &&
  grep -q 'class="verdict fail"' "$work/osft.html"; then ok "--html on a run with failing checks: page written, exit 1"
else bad "--html on a run" "exit $rc"; fi
if need_gnuplot "the plots of the osft run's --html page"; then
  check_page "osft run's --html page" "$work/osft.html" "$osft"
  browse osft "$work/osft.html"
fi

# 2. fidrun report --format html on the balance and quant suites (every plot kind)
mpirun_fidrun 2 configs/balance-smoke.yaml --out "$work/balance" -q
check_rc "balance-smoke.yaml at -np 2 for the report" 0
mpirun_fidrun 2 configs/quant-smoke.yaml --out "$work/quant" -q
check_rc "quant-smoke.yaml at -np 2 for the report" 0
for suite in balance quant; do
  h5=$(newest "$work/$suite")
  out=$work/report-$suite.log
  $FIDRUN report "$h5" --format html -o "$work/$suite.html" >"$out" 2>&1
  rc=$?
  if [ $rc -ne 0 ] || [ ! -s "$work/$suite.html" ]; then bad "fidrun report --format html ($suite)" "exit $rc"; continue; fi
  if need_gnuplot "the plots of fidrun report --format html ($suite)"; then
    check_page "fidrun report --format html ($suite)" "$work/$suite.html" "$h5"
    browse "$suite" "$work/$suite.html"
  fi
done

# 3. without gnuplot: the page says so and shows the plotted values as tables
out=$work/report-nognuplot.log
FIDRUN_GNUPLOT= $FIDRUN report "$(newest "$work/quant")" --format html -o "$work/nognuplot.html" >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q 'id="no-gnuplot"' "$work/nognuplot.html" && ! grep -q '<img' "$work/nognuplot.html"; then
  ok "without gnuplot (FIDRUN_GNUPLOT empty): the page says so, no images, exit 0"
  check_page "the page without gnuplot" "$work/nognuplot.html" "$(newest "$work/quant")" --no-plots
else bad "a report without gnuplot" "exit $rc"; fi

# 4. a gnuplot that fails: each plot's error in its place and on stderr, the rest written
out=$work/report-badgnuplot.log
FIDRUN_GNUPLOT=/bin/false $FIDRUN report "$osft" --format html -o "$work/badgnuplot.html" >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "warning: plot osft-error: /bin/false made no SVG (exit code 1)" "$out" &&
  grep -q "plot osft-error: /bin/false made no SVG" "$work/badgnuplot.html" && grep -q 'id="tables"' "$work/badgnuplot.html"; then
  ok "a gnuplot that fails: the plot's error named on stderr and in the page, the rest written"
else bad "a failing gnuplot" "exit $rc"; fi

# 5. fidrun compare --format html: a perturbed copy regresses two metrics, listed first
if need_py "fidrun compare --format html"; then
  base=$(newest "$work/quant")
  cp "$base" "$work/perturbed.h5"
  "$PY" - "$work/perturbed.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    layers = f["/quant/layers"][:]
    layers["rel_out_err"][3] *= 1.5
    layers["packed_hash"][5] ^= 1
    f["/quant/layers"][...] = layers
PY
  out=$work/compare-html.log
  $FIDRUN compare "$base" "$work/perturbed.h5" --format html -o "$work/compare.html" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "REGRESSED: 2 of [0-9]* metrics regressed" "$out" && msg=$("$PY" - "$work/compare.html" 2>&1 <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    rows, row, cell, sec, plot, plots = [], None, None, None, None, {}
    def handle_starttag(self, t, a):
        a = dict(a)
        if t == "section": self.sec = a.get("id")
        if t == "table" and "data-plot" in a: self.plot = a["data-plot"]; self.plots[self.plot] = []
        if t == "tr":
            self.row = []
            if self.plot: self.plots[self.plot].append(self.row)
            elif self.sec == "metrics": self.rows.append(self.row)
        if t == "td" and self.row is not None: self.cell = ""
    def handle_endtag(self, t):
        if t == "td" and self.cell is not None: self.row.append(self.cell); self.cell = None
        if t == "table": self.plot = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1]).read())
rows = [r for r in p.rows if len(r) == 10]
regressed = [f"{r[0]} {r[1]}" for r in rows if r[-1] == "REGRESSED"]
assert sorted(regressed) == ["quant/layers packed_hash", "quant/layers rel_out_err"], regressed
assert [r[-1] for r in rows[:2]] == ["REGRESSED"] * 2, "regressed not first"
assert "1 of 12" in [r for r in rows if r[1] == "rel_out_err"][0][7]
# every regressed metric is plotted, the exact packed_hash too (its change has no per cent)
drawn = sorted(r[0] for r in p.plots.get("compare-regressed", []) if r)
assert drawn == ["quant/layers: packed_hash", "quant/layers: rel_out_err"], drawn
change = {r[0]: r for r in p.plots.get("compare-change", []) if r}
assert "quant/layers: rel_out_err" in change, sorted(change)
print(f"{len(rows)} metrics, the 2 regressed listed first and both plotted")
PY
  ); then ok "fidrun compare --format html: $msg (exit 1)"
    need_gnuplot "fidrun compare --format html in headless Chromium" && browse compare "$work/compare.html"
  else bad "fidrun compare --format html" "exit $rc: ${msg:-}"; fi
fi

# 6. usage errors
out=$work/report-usage.log
$FIDRUN report "$osft" --format pdf >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "not one of text, json, csv, junit, html" "$out"; then ok "fidrun report --format pdf exits 2, listing the formats"
else bad "fidrun report --format pdf" "exit $rc"; fi
$FIDRUN report "$osft" --format html -o /nonexistent/dir/r.html >"$out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q "cannot write '/nonexistent/dir/r.html'" "$out"; then ok "fidrun report -o into a missing folder exits 3, naming it"
else bad "fidrun report -o into a missing folder" "exit $rc"; fi

finish reports
