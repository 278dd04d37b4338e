"""An ablation of the Task 1 recipe on REAL images (issue 14): one row per change from the paper's recipe.

    python bench/ablation.py [--data $ISIC_FIXTURES/isic_mini] [--work runs/ablation] [--results bench/ablation_rows]
                             [--seeds 1 2] [--rows NAME ...] [--jobs 2] [--table bench/ablation.md]

3-fold cross-validation over the 79 fixture images (every image predicted by the fold model that never saw it),
from scratch (no ImageNet weights on this machine), 128 px, scored with the official per-image threshold Jaccard at
each image's original size; two seeds, mean and spread (max - min). The small-lesion column is the same score on
the images whose lesion covers less than 10 % of the image. Inference-only rows (TTA, post-processing, threshold,
second passes, the region kept) reuse the models of the row they modify. Resumable: each trained run resumes where it
stopped (`train_seg_folds`), each row's result is saved as it finishes (`--results`, one JSON per row, committed: the
table is made from them), and a rerun skips the rows done. Not a test: hours on a 2-core CPU."""
import argparse, json, os, sys, time, hashlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
NO_AUG = dict(max_rotate=0., max_zoom=1., max_lighting=0., dihedral=False)
LOOSE = dict(loss='bce_jaccard', lr=3e-3, bs=8, refine=True, refine_margin_max=1.5)
DEFAULTS_INFER = dict(tta=True, threshold='oof', refine_passes=2)
# (name, changes to the paper's recipe, inference: tta, postprocess, threshold ('0.5' or 'oof': chosen on the other
# folds), refine_passes, region ('largest' or 'central': which region post-processing keeps))
ROWS = [
    ('paper', {}, {}),
    ('+ dihedral TTA', {}, dict(tta=True)),
    ('no post-processing', {}, dict(postprocess=False)),
    ('threshold chosen out of fold', {}, dict(threshold='oof')),
    ('central region (not the largest)', {}, dict(region='central')),
    ('fixed lr 3e-3 (no LR finder)', dict(lr=3e-3), {}),
    ('loss BCE + soft Jaccard', dict(loss='bce_jaccard'), {}),
    # combinations of the single changes (the candidates for the defaults: run early, they decide)
    ('batch size 8', dict(bs=8), {}),
    ('candidate: BCE+Jaccard, lr 3e-3, bs 8, TTA, threshold oof', dict(loss='bce_jaccard', lr=3e-3, bs=8), dict(tta=True, threshold='oof')),
    ('candidate + refinement', dict(loss='bce_jaccard', lr=3e-3, bs=8, refine=True), dict(tta=True, threshold='oof')),
    ('candidate + refinement, two second passes', dict(loss='bce_jaccard', lr=3e-3, bs=8, refine=True),
     dict(tta=True, threshold='oof', refine_passes=2)),
    ('candidate + refinement, loose training crops (margin to 1.5)', LOOSE, dict(tta=True, threshold='oof')),
    ('candidate + refinement, loose training crops, two second passes', LOOSE, DEFAULTS_INFER),
    ('candidate + refinement, loose training crops, two second passes, central region', LOOSE,
     dict(DEFAULTS_INFER, region='central')),
    ('defaults + flat schedule (no one-cycle)', dict(LOOSE, schedule='flat'), dict(DEFAULTS_INFER, region='central')),
    # soft Jaccard alone beat BCE by 0.18 on the paper's recipe (2026-12-08): the same swap in the candidate, then
    # in today's defaults (the refinement row's first pass is the candidate row's: copy it, `first_pass_from.txt`)
    ('candidate with soft Jaccard: lr 3e-3, bs 8, TTA, threshold oof', dict(loss='jaccard', lr=3e-3, bs=8),
     dict(tta=True, threshold='oof')),
    ('defaults + soft Jaccard loss', dict(LOOSE, loss='jaccard'), dict(DEFAULTS_INFER, region='central')),
    # colour constancy beat the paper's recipe by 0.105 (2026-12-08): the same switch in today's defaults
    ('defaults + colour constancy', dict(LOOSE, colour_constancy=True), dict(DEFAULTS_INFER, region='central')),
    ('two-stage refinement', dict(refine=True), {}),
    ('no augmentation', NO_AUG, {}),
    ('no dihedral flips', dict(dihedral=False), {}),
    ('no rotation', dict(max_rotate=0.), {}),
    ('no zoom', dict(max_zoom=1.), {}),
    ('no lighting', dict(max_lighting=0.), {}),
    ('loss soft Jaccard', dict(loss='jaccard'), {}),
    ('fixed lr 1e-3', dict(lr=1e-3), {}),
    ('fixed lr 1e-2', dict(lr=1e-2), {}),
    ('flat schedule (no one-cycle)', dict(schedule='flat'), {}),
    ('15 epochs', dict(epochs=15), {}),
    ('60 epochs', dict(epochs=60), {}),
    ('colour constancy', dict(colour_constancy=True), {}),
    ('encoder pretrained on synthetic data', dict(pretrained=True, weights='synthetic'), {}),
    ('progressive resizing 128 -> 256', dict(sizes=(128, 256)), {}),
]

def paper_recipe(seed:int):
    from isic_fastai.superconvergence import SegRecipe
    # refine_margin_max None: the second pass's crops as before its row (the rows below name the loose ones)
    return SegRecipe.paper(sizes=(128,), epochs=30, folds=3, pretrained=False, seed=seed, refine_margin_max=None)

def run_dir(work:Path, changes:dict, seed:int) -> Path:
    "The training folder of a recipe change (rows that only change inference share it)."
    key = hashlib.sha1(json.dumps(changes, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return work/'train'/f'{key}-s{seed}'

def train(args) -> str:
    "Train (or resume) one run; returns its folder. Runs in a worker process, one torch thread."
    data, work, changes, seed = args
    import torch, contextlib, io
    torch.set_num_threads(1)
    from isic_fastai.training import Speed
    from isic_fastai.superconvergence import train_seg_folds
    out = run_dir(Path(work), changes, seed)
    log = out.parent/(out.name + '.log')
    out.parent.mkdir(parents=True, exist_ok=True)
    t = time.time()
    with open(log, 'a') as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        train_seg_folds(data, out, replace(paper_recipe(seed), **changes), Speed(device='cpu', workers=1), Path(work)/'cache')
    return str(out)

def train_seconds(run:Path) -> float|None:
    """Seconds of training of a run: the sum of its epochs' times in its log (the last record of each epoch, so a
    resumed run counts each epoch once). A run whose first pass was copied from another run (`first_pass_from.txt`,
    identical on this deterministic CPU) adds that run's first pass."""
    import re
    log = run.parent/(run.name + '.log')
    if not log.exists(): return None
    last = {}
    for l in log.read_text(errors='replace').splitlines():
        m = re.match(r'(\S+) epoch (\d+)/\d+: .*time (\d+):(\d+)$', l.strip())
        if m: last[(m[1], m[2])] = int(m[3])*60 + int(m[4])
    t = sum(last.values())
    src = run/'first_pass_from.txt'
    if src.exists() and not any('refine' not in k[0] for k in last):
        t += train_seconds(run.parent/src.read_text().strip()) or 0
    return float(t)

def oof_table(run:Path, data, tta:bool, passes:int=1, region:str='largest') -> pd.DataFrame:
    ("Per image (predicted by its fold's models, `passes` second passes where it refines, `region` kept by "
     "post-processing and by the second pass's box): Jaccard at each threshold, with and without post-processing; cached.")
    f = run/(f"oof_table{'_tta' if tta else ''}{f'_passes{passes}' if passes > 1 else ''}"
             f"{'' if region == 'largest' else '_' + region}.csv")
    if f.exists(): return pd.read_csv(f, dtype={'image_id': str})
    import torch; torch.set_num_threads(1)  # beside trainings: more threads than free cores stall it
    from PIL import Image
    from isic_fastai.data import index_task1
    from isic_fastai.metrics import jaccard, binarize
    from isic_fastai.segment import load_seg_ensemble, seg_image_probs
    from isic_fastai.superconvergence import probs_to_mask
    models, b = load_seg_ensemble(run, 'cpu')
    b = dict(b, postprocess=dict(b['postprocess'], region=region))  # the second pass's box follows it too
    df = index_task1(data).merge(pd.read_csv(run/'folds.csv', dtype={'image_id': str}), on='image_id')
    rows = []
    for k, m in enumerate(models):
        val = df[df.fold == k]
        bk = (dict(b, refine_models=[b['refine_models'][k]], refine=dict(b['refine'], passes=passes)) if b.get('refine')
              else b)
        probs = seg_image_probs([m], bk, val.image.tolist(), tta)
        for (iid, img, mpath), prob in zip(val[['image_id', 'image', 'mask']].values, probs):
            truth = binarize(np.asarray(Image.open(mpath).convert('L')))
            r = dict(image_id=iid, fold=k, lesion_fraction=float(truth.mean()))
            for t in THRESHOLDS:
                for pp in (True, False):
                    steps = dict(b['postprocess'], largest_cc=pp, fill_holes=pp)
                    r[f"j@{t}{'' if pp else '_raw'}"] = jaccard(truth, probs_to_mask(prob, dict(b, threshold=t,
                                                                                             postprocess=steps)))
            rows.append(r)
    out = pd.DataFrame(rows); out.to_csv(f, index=False)
    return out

def tj(j) -> float: return float(np.where(np.asarray(j) >= 0.65, j, 0.).mean())

def score(table:pd.DataFrame, postprocess:bool=True, threshold='0.5') -> dict:
    "Threshold Jaccard of a table under one inference setting (the 'oof' threshold: chosen on the other folds)."
    sfx = '' if postprocess else '_raw'
    if threshold == 'oof':
        j = np.zeros(len(table))
        for k in sorted(table.fold.unique()):
            other, mine = table.fold != k, (table.fold == k).to_numpy()
            best = max(THRESHOLDS, key=lambda t: (tj(table[other][f'j@{t}{sfx}']), -abs(t - 0.5)))
            j[mine] = table[f'j@{best}{sfx}'][mine]
    else: j = table[f'j@{threshold}{sfx}'].to_numpy()
    small = table.lesion_fraction.to_numpy() < 0.10
    return dict(threshold_jaccard=tj(j), jaccard=float(j.mean()), threshold_jaccard_small=tj(j[small]), n=len(j), n_small=int(small.sum()))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(os.environ.get('ISIC_FIXTURES', '../shared/fixtures'), 'isic_mini'))
    ap.add_argument('--work', default='runs/ablation', help='trained models and their logs (not committed)')
    ap.add_argument('--results', default='bench/ablation_rows', help='one JSON per finished row (committed)')
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--rows', nargs='+', help='names (or prefixes) of the rows to run (default: all, in order)')
    ap.add_argument('--jobs', type=int, default=2, help='trainings at once (one torch thread each)')
    ap.add_argument('--table', help='write the Markdown table here')
    a = ap.parse_args()
    work, results = Path(a.work), Path(a.results); results.mkdir(parents=True, exist_ok=True)
    rows = [r for r in ROWS if not a.rows or any(r[0].startswith(p) for p in a.rows)]
    t0 = time.time()
    for name, changes, infer in rows:
        rf = results/(hashlib.sha1(name.encode()).hexdigest()[:10] + '.json')
        if rf.exists(): print(f"done before: {name}", flush=True); continue
        t = time.time()
        if changes.get('weights') == 'synthetic':  # built once, before the seeds' processes would race to build it
            from isic_fastai.superconvergence import synthetic_encoder
            from isic_fastai.training import Speed
            synthetic_encoder(work/'cache', Speed(device='cpu', workers=1))
        with ProcessPoolExecutor(a.jobs) as ex: runs = list(ex.map(train, [(a.data, str(work), changes, s) for s in a.seeds]))
        tables = [oof_table(Path(r), a.data, infer.get('tta', False), infer.get('refine_passes', 1),
                            infer.get('region', 'largest')) for r in runs]
        per_seed = [dict(seed=s, **score(t, infer.get('postprocess', True), infer.get('threshold', '0.5')),
                         train_seconds=train_seconds(Path(r)))
                    for s, r, t in zip(a.seeds, runs, tables)]
        res = dict(row=name, changes={k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()},
                   inference=infer, per_seed=per_seed, seconds=round(time.time() - t), n_small=per_seed[0]['n_small'],
                   train_seconds=float(np.mean([p['train_seconds'] or 0 for p in per_seed])))
        for k in ('threshold_jaccard', 'jaccard', 'threshold_jaccard_small'):
            v = [p[k] for p in per_seed]; res[k] = float(np.mean(v)); res[k + '_spread'] = float(np.max(v) - np.min(v))
        rf.write_text(json.dumps(res, indent=1)); print(json.dumps(res), flush=True)
    done = [json.loads(f.read_text()) for f in results.glob('*.json')]
    order = {r[0]: i for i, r in enumerate(ROWS)}; done.sort(key=lambda r: order.get(r['row'], 99))
    base = next((r['threshold_jaccard'] for r in done if r['row'] == 'paper'), None)
    lines = ['| row | threshold Jaccard (mean of seeds) | spread | vs paper | small lesions (< 10 %) | Jaccard | training, s per seed |',
             '|---|---|---|---|---|---|---|']
    for r in done:
        d = '' if base is None else f"{r['threshold_jaccard'] - base:+.3f}"
        # an inference-only row: the models of the first row trained with the same changes
        owner = next(o['row'] for o in done if o['changes'] == r['changes'])
        ts = r.get('train_seconds') or np.mean([p['train_seconds'] or 0 for p in r['per_seed']])
        cost = f"(the {owner} row's models)" if owner != r['row'] else f"{ts:.0f}"
        lines.append(f"| {r['row']}{' (a)' if r.get('source') else ''} | {r['threshold_jaccard']:.3f} | "
                     f"{r['threshold_jaccard_spread']:.3f} | {d} | {r['threshold_jaccard_small']:.3f} | "
                     f"{r['jaccard']:.3f} | {cost} |")
    n_small = (done[0].get('n_small') or done[0]['per_seed'][0]['n_small']) if done else 0
    lines.append(f"\n{len(done)} rows; 79 images, 3 folds, seeds {a.seeds}, {n_small} small lesions; training time: the sum "
                 "of the epochs' times (3 folds; two trainings at a time, one thread each)")
    if any(r.get('source') for r in done):
        lines.append("(a) " + next(r['source'] for r in done if r.get('source')))
    print('\n'.join(lines)); print(f"this run: {time.time() - t0:.0f} s")
    if a.table: Path(a.table).write_text('\n'.join(lines) + '\n')
