#!/usr/bin/env bash
# One prepared GPU check (issue #18): about 8 minutes on one H100-class GPU.
#   scripts/gpu_check.sh [OUT_DIR]        (default: gpu_check/)
# Writes every figure into OUT_DIR: the gpu-marked tests, `spt bench render` and `spt bench train`
# on CUDA, a two-process torchrun check when there are two or more GPUs, and a short real
# training of the default recipe with a large batch. Each step has its own time limit and a
# failed step does not stop the others; summary.txt lists each step's exit status and time.
# Needs the project installed with a CUDA build of torch (pip install torch==2.13.0 picks the
# CUDA one on a GPU machine with the default index; see README).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu_check}"
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"

step() {  # step NAME SECONDS COMMAND...
  local name="$1" limit="$2"
  shift 2
  local start=$SECONDS
  echo "== $name (limit ${limit}s)" | tee -a "$summary"
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  local status=$?
  echo "   exit $status after $((SECONDS - start)) s ($out/$name.txt)" | tee -a "$summary"
  tail -n 25 "$out/$name.txt"
}

step environment 60 python - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(i, p.name, f"{p.total_memory / 2**30:.0f} GiB")
PY

step gpu_tests 120 python -m pytest -q -m gpu -p no:cacheprovider
step bench_render 120 spt bench render --device cuda --sizes 128x64 256x176 --repeats 50
step bench_train 150 spt bench train --device cuda --batch 64 --steps 5 --count 256

gpus=$(python -c "import torch; print(torch.cuda.device_count())")
if [ "$gpus" -ge 2 ]; then
  step torchrun 120 bash -c '
    set -e
    spt synth --out "$0/ddp_data" --count 128 --quiet
    spt search "$0/ddp_data" --out "$0/ddp_data/pseudo_labels.npz" --quiet
    torchrun --nproc_per_node=2 -m spt_core.cli train semantic --data "$0/ddp_data" \
      --pseudo "$0/ddp_data/pseudo_labels.npz" --out "$0/ddp_run" --steps 20 --batch-size 32' "$out"
else
  echo "== torchrun: skipped (one GPU)" | tee -a "$summary"
fi

step recipe 240 bash -c '
  set -e
  spt synth --out "$0/recipe_data" --count 2000 --seed 0 --quiet
  spt train recipe --data "$0/recipe_data" --out "$0/recipe_run" --device cuda --batch-size 64 \
    --semantic-steps 200 --appearance-steps 200 --joint-steps 50' "$out"

echo "figures: $out/ (summary.txt)"
