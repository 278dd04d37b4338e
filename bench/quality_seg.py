"""Task 1 quality on REAL images: train from scratch on the isic_mini fixtures (79 real dermoscopy images) at 128 px
for 30 epochs with --folds 1 (a seeded 20 % of the images held out), and score the held-out images with the official
metric at their original size. Optionally the same budget for plain fastai `unet_learner(resnet34, pretrained=False)`.

    python bench/quality_seg.py --data $ISIC_FIXTURES/isic_mini --seeds 1 2 [--baseline]

Prints one JSON line per run and a summary line. Not a test: it takes minutes per seed on a CPU."""
import argparse, json, os, sys, tempfile, time, platform
from pathlib import Path
import numpy as np, pandas as pd

def ours(data, out, seed, size, epochs, bs, device, lr=None, tta=False, loss='bce'):
    from isic_fastai.segment import train_seg
    from isic_fastai.superconvergence import SegRecipe
    from isic_fastai.training import Speed
    recipe = SegRecipe(sizes=(size,), epochs=epochs, folds=1, bs=bs, lr=lr, pretrained=False, loss=loss, tta=tta, seed=seed)
    t = time.time(); res = train_seg(data, out, recipe, Speed(device=device))
    oof = pd.read_csv(Path(out)/'oof.csv')
    j05 = oof['jaccard@0.5']
    return dict(path='ours_unet34', seed=seed, lr=lr or 'lr_find valley', tta=tta, loss=loss, n_heldout=len(oof),
                threshold_jaccard=res['threshold_jaccard'], threshold=res['threshold'],
                threshold_jaccard_at_0_5=float(np.where(j05 >= .65, j05, 0).mean()), jaccard=res['jaccard'],
                seconds=round(time.time() - t, 1))

def baseline(data, out, seed, size, epochs, bs, device):
    "Plain fastai: unet_learner(resnet34, pretrained=False), aug_transforms, fit_one_cycle at its LR finder's valley."
    import torch
    from fastai.vision.all import (DataBlock, ImageBlock, MaskBlock, FuncSplitter, Resize, aug_transforms, unet_learner,
                                   resnet34, PILMask, BCEWithLogitsLossFlat, set_seed)
    from PIL import Image
    from isic_fastai.data import index_task1, folds_for
    from isic_fastai.metrics import jaccard, binarize
    set_seed(seed)
    df = index_task1(data).merge(folds_for(data, 'Training', 1, 1, seed, Path(out)/'cache'), on='image_id')
    val_ids = set(df.image_id[df.fold == 0])
    get_msk = lambda r: PILMask.create(binarize(np.asarray(Image.open(r['mask']))).astype(np.uint8))
    db = DataBlock(blocks=(ImageBlock, MaskBlock(codes=['bg', 'lesion'])), get_x=lambda r: r['image'], get_y=get_msk,
                   splitter=FuncSplitter(lambda r: r['image_id'] in val_ids), item_tfms=Resize(size, method='squish'),
                   batch_tfms=aug_transforms(max_rotate=44, max_zoom=1.05, flip_vert=True))
    dls = db.dataloaders(df.to_dict('records'), bs=bs, device=device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    learn = unet_learner(dls, resnet34, pretrained=False, n_out=2)
    t = time.time()
    lr = learn.lr_find(show_plot=False).valley
    learn.fit_one_cycle(epochs, lr)
    js = []
    for _, r in df[df.fold == 0].iterrows():
        pred = learn.predict(r.to_dict())[0].numpy().astype(np.uint8)
        w, h = Image.open(r['image']).size
        pred = np.asarray(Image.fromarray(pred * 255).resize((w, h), Image.NEAREST)) > 128
        js.append(jaccard(binarize(np.asarray(Image.open(r['mask']))), pred))
    js = np.array(js)
    return dict(path='fastai_unet_learner', seed=seed, n_heldout=len(js), threshold_jaccard=float(np.where(js >= .65, js, 0).mean()),
                jaccard=float(js.mean()), seconds=round(time.time() - t, 1))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(os.environ.get('ISIC_FIXTURES', '../shared/fixtures'), 'isic_mini'))
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2]); ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--epochs', type=int, default=30); ap.add_argument('--bs', type=int, default=8)
    ap.add_argument('--device'); ap.add_argument('--lr', type=float, help='ours: skip the LR finder'); ap.add_argument('--tta', action='store_true', help='ours: dihedral TTA when scoring'); ap.add_argument('--loss', default='bce', help='ours: bce, jaccard or bce_jaccard'); ap.add_argument('--baseline', action='store_true'); ap.add_argument('--baseline-only', action='store_true', help='only the fastai baseline'); ap.add_argument('--out')
    a = ap.parse_args()
    root = Path(a.out or tempfile.mkdtemp())
    rows = []
    for seed in a.seeds:
        if not a.baseline_only:
            rows.append(ours(a.data, root/f'ours-{seed}', seed, a.size, a.epochs, a.bs, a.device, a.lr, a.tta, a.loss)); print(json.dumps(rows[-1]), flush=True)
        if a.baseline or a.baseline_only:
            rows.append(baseline(a.data, root/f'base-{seed}', seed, a.size, a.epochs, a.bs, a.device)); print(json.dumps(rows[-1]), flush=True)
    summ = {p: float(np.mean([r['threshold_jaccard'] for r in rows if r['path'] == p])) for p in {r['path'] for r in rows}}
    print(json.dumps(dict(bench='quality_seg', mean_threshold_jaccard=summ, size=a.size, epochs=a.epochs,
                          machine=f"{platform.processor() or platform.machine()} x{os.cpu_count()}")))
