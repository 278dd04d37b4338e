# isic_fastai: the two set-up commands on a fresh clone are `make demo` and `make test`; both install first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# The exact torch build measured with this stack (GUIDE.md); on a GPU box with its own CUDA torch: make install TORCH_PIN=
TORCH_PIN ?= torch==2.14.1 torchvision==0.29.1
# Real dermoscopy fixtures for the tests (absolute: nbdev_test runs each notebook inside nbs/)
ISIC_FIXTURES ?= $(abspath ../shared/fixtures)
export ISIC_FIXTURES
# one torch thread per notebook: nbdev_test runs two notebooks at once on two cores
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
NBS := $(filter-out nbs/_%,$(wildcard nbs/*.ipynb))

.PHONY: install test demo data clean distclean sync-check export readme bench bench-prep ddp-smoke gpu-wheels docs docs-check lab \
        outputs bad-inputs ablation

install: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(if $(strip $(TORCH_PIN)),$(PY) -m pip install -q $(TORCH_PIN))
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# every notebook under nbdev_test, two at a time; prints `N passed, N failed` (notebooks) last. The tests' temporary
# folders (checkpoints of tiny runs: several GB in all) go to one TMPDIR that is removed when the run ends.
test: install
	@rm -rf .test-logs; mkdir -p .test-logs
	@t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT INT TERM; \
	printf '%s\n' $(NBS) | TMPDIR=$$t xargs -P 2 -I{} bash -c 'n=$$(basename {} .ipynb); s=$$(date +%s); \
	  if $(TEST_ENV) $(BIN)/nbdev_test --path {} --do_print > .test-logs/$$n.log 2>&1; \
	  then echo "PASS $$n ($$(( $$(date +%s)-s )) s)"; touch .test-logs/$$n.pass; \
	  else echo "FAIL $$n ($$(( $$(date +%s)-s )) s)"; tail -n 40 .test-logs/$$n.log; touch .test-logs/$$n.fail; fi'
	@p=$$(ls .test-logs/*.pass 2>/dev/null | wc -l); f=$$(ls .test-logs/*.fail 2>/dev/null | wc -l); \
	  echo "$$p passed, $$f failed"; test $$f -eq 0 -a $$p -gt 0

demo: install
	$(BIN)/isic_demo --data data/synthetic --out runs/demo

data: install
	$(BIN)/isic_download --dest data/ISIC2018

export: install
	$(BIN)/nbdev_export

# README.md is generated from nbs/index.ipynb (nbdev_readme needs Quarto, which is not installable here)
readme: install
	$(PY) .ci/readme.py

# a static site of the notebooks with their saved outputs, in _docs/ (nbdev_docs needs Quarto, not installable here)
docs: install
	$(PY) .ci/docs.py

# every page of _docs/ opened in headless Chromium (Debian's; installed when missing): fails on a page missing from
# the navigation, a broken internal link or anchor, or an image the browser cannot load
docs-check: docs
	@command -v chromium >/dev/null || { echo 'docs-check: installing chromium (apt-get)'; export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; }
	$(PY) .ci/docs_check.py

# the story notebooks executed in a Jupyter kernel, their `#| keep_output` cells' pictures saved (minutes on a CPU)
outputs: install
	$(PY) .ci/outputs.py

# every console script fed bad input (issue 13's cases and more): exit status, message, no traceback (minutes)
bad-inputs: install
	$(PY) bench/bad_inputs.py --out bench/bad_inputs.md

# the ablation of the Task 1 recipe on the real fixtures (hours on a 2-core CPU; resumable)
ablation: install
	OMP_NUM_THREADS=1 $(PY) bench/ablation.py --work runs/ablation --table bench/ablation.md
	$(PY) bench/ablation_text.py > /dev/null
	$(PY) .ci/readme.py

# the notebooks in the project's environment (as root, e.g. in a container, JupyterLab needs --allow-root)
lab: install
	$(BIN)/jupyter lab nbs/ $(if $(filter 0,$(shell id -u)),--allow-root)

# nbdev_export and nbdev_clean must leave git with nothing to commit in nbs/ and isic_fastai/
sync-check: install
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	@if [ -n "$$(git status --porcelain -- nbs isic_fastai)" ]; then \
	  echo "sync-check: nbdev_export/nbdev_clean changed these files; run them and commit:"; \
	  git status --porcelain -- nbs isic_fastai; exit 1; fi
	$(PY) .ci/readme.py --check
	$(PY) .ci/outputs.py --check
	$(PY) .ci/api_check.py --check
	@echo "sync-check: notebooks and module in sync, notebooks clean, README.md from nbs/index.ipynb, pictures saved, API rules kept"

clean:
	rm -rf runs data/cache data/synthetic .test-logs _proc _docs

distclean: clean
	rm -rf $(VENV) *.egg-info

# one-run benchmarks (bench/README.md): data preparation against the naive decode, training throughput of our
# Learner against a bare PyTorch loop on the same model (GPU when there is one), and on a GPU the whole Task 1 recipe
bench-prep: install
	$(PY) bench/prep.py

bench: install
	$(PY) bench/prep.py
	@dev=$$($(PY) -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2>/dev/null); \
	$(PY) bench/train.py --device $$dev && \
	if [ "$$dev" = cuda ]; then $(PY) bench/recipe.py --device cuda --bf16 --channels-last; \
	else echo "bench/recipe.py (the whole Task 1 recipe on 2594 images) runs on a GPU; a CPU smoke run: bench/README.md"; fi

# the pure-Python wheels a GPU machine of this workplace lacks, into .whl/ (git-ignored; bench/gpu_session.sh installs them there)
gpu-wheels:
	python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
	  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl \
	  fastai==2.8.7 fastcore==1.14.5 fastprogress==1.0.3 fastdownload==0.0.8 fasttransform==0.0.2 \
	  plum-dispatch==2.10.1 beartype==0.23.1

# data-parallel smoke run: 2 CPU processes (gloo, torchrun) train fold 1 of 3 on tiny synthetic data; the metrics
# must cover the whole validation set (5 images) and come from a world of 2 (nbs/15_distributed.ipynb)
ddp-smoke: install
	@d=$$(mktemp -d) && $(BIN)/isic_synth --dest $$d/syn --n-train 16 21 --n-valid 6 21 --size 128 96 --no-task3 --workers 1 && \
	OMP_NUM_THREADS=1 $(PY) -m isic_fastai.distributed --data $$d/syn --out $$d/out --cache $$d/cache --size 64 --epochs 1 \
	  --folds 3 --fold 1 --bs 2 --no-pretrained --lr 1e-3 --device cpu --workers 1 --nproc 2 && \
	$(PY) -c "import json,sys; m=json.load(open('$$d/out/fold1/metrics.json')); print('ddp-smoke:', m); sys.exit(not (m['n'] == 5 and m['world_size'] == 2))"; \
	s=$$?; rm -rf $$d; exit $$s
