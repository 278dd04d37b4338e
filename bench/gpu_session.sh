#!/bin/bash
# The prepared device run of issue 5, for a session that is lent a GPU (15 minutes of device time in all).
#   here, once:  make gpu-wheels          (the pure-Python wheels the GPU image lacks, into .whl/, ignored by git)
#   then:        run(command="bash bench/gpu_session.sh train",  carry=[".whl"], timeout_s=420)
#                run(command="bash bench/gpu_session.sh recipe", carry=[".whl"], timeout_s=560)
# JSON lines and logs go to $OUT (train.jsonl, recipe.jsonl, *.err, gpu.txt).
set -u
OUT=${OUT:-/tmp/isic_gpu_out}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
case "${1:-train}" in
  train)   # our Learner against the bare loop and plain fastai, both tasks, fp32 and bf16 + channels_last; inference
    timeout 400 python3 bench/train.py --device cuda > "$OUT/train.jsonl" 2> "$OUT/train.err" ;;
  recipe)  # the whole Task 1 recipe on 2594 images of the real sizes: 3 folds, 128 then 256 px, frozen then unfrozen, 30 epochs
    timeout 540 python3 bench/recipe.py --device cuda --bf16 --channels-last --workers 16 ${RECIPE_ARGS:-} > "$OUT/recipe.jsonl" 2> "$OUT/recipe.err" ;;
  *) echo "usage: bench/gpu_session.sh train|recipe"; exit 2 ;;
esac
s=$?; tail -c 3000 "$OUT"/*.err; exit $s
