#!/usr/bin/env bash
# The shipped enhancer's training data, rebuilt from the project's own seeded generators.
#   data/enhancer      45 min of speech from every training voice (espeak-ng, flite, festival), 22.5 min of
#                      noise, rooms (seed 0)
#   data/enhancer_rec  30 min more speech from the flite and festival voices only (seed 1)
#   data/enh_union     both speech sets in one folder (symbolic links), for `desktop-gan train --clean`
# Then (stop 19's recipe, benchmarks/RESULTS.md):
#   desktop-gan train enhancer --clean data/enh_union/clean --noise data/enhancer/noise ...
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -f data/enhancer/recipe.json ] || "$PY" -m desktop_gan.training.speech_data --out data/enhancer --minutes 45 --seed 0
[ -f data/enhancer_rec/recipe.json ] || "$PY" -m desktop_gan.training.speech_data --out data/enhancer_rec \
    --minutes 30 --noise-minutes 0.1 --engines flite,festival --seed 1
mkdir -p data/enh_union/clean
for f in data/enhancer/clean/*.wav; do ln -sfn "../../enhancer/clean/$(basename "$f")" "data/enh_union/clean/a_$(basename "$f")"; done
for f in data/enhancer_rec/clean/*.wav; do ln -sfn "../../enhancer_rec/clean/$(basename "$f")" "data/enh_union/clean/b_$(basename "$f")"; done
echo "data/enh_union/clean: $(ls data/enh_union/clean | wc -l) files"
