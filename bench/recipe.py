"""The paper's whole Task 1 recipe, timed end to end on synthetic data of the real ISIC 2018 image sizes.

    python bench/recipe.py [--n 2594] [--sizes 128 256] [--epochs 30] [--folds 3] [--device cuda]
                           [--bf16 --channels-last --compile] [--lr LR] [--scale 1.0] [--workers W]

Issue 5's target: 3 folds, 128 then 256 px, frozen then unfrozen, 30 epochs each stage, validation every epoch, on
2594 images, under 5 minutes on one H200. Steps:

1. (untimed) `isic_synth` writes `--n` Task 1 Training images with masks at 320x240 (quick to draw); then every image
   is rewritten at one of the four ISIC 2018 resolutions in turn (1022x767, 3008x2000, 4288x2848, 6688x4439, times
   `--scale`), the mask with it (nearest neighbour), so the preparation decodes JPEGs of the real sizes.
2. (timed, `prep_s`) `prepare_split`: each original decoded once and resized to every training size (cold cache).
3. (timed, `train_s`) `train_seg` on the prepared cache: the recipe as `isic_train_seg` runs it (LR finder per stage
   unless `--lr`), with the package's default path (FusedAdamW, no per-batch host reads) plus the speed options given.
   The stages are the pretrained recipe's (frozen, then unfrozen, per size). The encoder starts from `--weights` (a
   torchvision ResNet34 state dict) when given; otherwise from random weights saved as such a file, which gives the
   recipe's compute exactly but meaningless scores (timing only; `encoder_weights` in the output says which).
   `--no-pretrained` runs the from-scratch recipe instead (one unfrozen stage per size).

Prints one JSON line: the machine, the arguments, `prep_s`, `train_s`, `total_s`, images/s of training (images seen
in training epochs over `train_s`, validation and checkpoints included), and the last epoch's validation scores per
fold. Everything is written under a temp folder that is removed at the end (`--keep DIR` keeps it there instead).
On a 2-core CPU try `--n 24 --sizes 64 --epochs 1 --folds 2 --scale 0.1 --lr 1e-3 --device cpu`.
"""
import argparse, json, multiprocessing, os, sys, tempfile, time, shutil, warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from _common import log, machine_info  # bench/ is the script's folder, first on sys.path

warnings.filterwarnings('ignore', category=FutureWarning)
REAL_SIZES = [(1022, 767), (3008, 2000), (4288, 2848), (6688, 4439)]


def _resize_pair(job):
    "Rewrite one image (JPEG q90) and its mask (PNG) at the size `job` names."
    import cv2
    img_p, mask_p, (w, h) = job
    cv2.setNumThreads(1)
    img, mask = cv2.imread(img_p, cv2.IMREAD_COLOR), cv2.imread(mask_p, cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(img_p, cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    cv2.imwrite(mask_p, cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST))


def make_data(root:Path, n:int, scale:float, workers:int) -> Path:
    from isic_fastai.synth import isic_synth
    from isic_fastai.data import index_task1
    isic_synth(root, n_train=(n, 21), n_valid=(21, 21), size=(320, 240), task3=False, workers=workers, verbose=False)
    df = index_task1(root, 'Training')
    sizes = [(max(16, round(w * scale)), max(16, round(h * scale))) for w, h in REAL_SIZES]
    jobs = [(str(r.image), str(r.mask), sizes[i % 4]) for i, r in enumerate(df.itertuples())]
    if workers <= 1: [_resize_pair(j) for j in jobs]; return root
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context('spawn')) as ex:  # no fork after torch's threads
        list(ex.map(_resize_pair, jobs, chunksize=4))
    return root


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=2594, help="Training images (default: the ISIC 2018 Task 1 count)")
    ap.add_argument('--sizes', type=int, nargs='+', default=[128, 256])
    ap.add_argument('--epochs', type=int, default=30, help="epochs per stage")
    ap.add_argument('--folds', type=int, default=3)
    ap.add_argument('--bs', type=int, default=64)
    ap.add_argument('--lr', type=float, default=None, help="fixed LR (default: the LR finder, as the recipe)")
    ap.add_argument('--weights', default=None, help="torchvision ResNet34 weight file (default: random weights, timing only)")
    ap.add_argument('--no-pretrained', action='store_true', help="the from-scratch recipe: no frozen stage")
    ap.add_argument('--device', default=None)
    ap.add_argument('--bf16', action='store_true'); ap.add_argument('--channels-last', action='store_true')
    ap.add_argument('--compile', action='store_true')
    ap.add_argument('--scale', type=float, default=1.0, help="scale of the four real image sizes (CPU smoke runs: 0.1)")
    ap.add_argument('--workers', type=int, default=None, help="processes for data generation and preparation")
    ap.add_argument('--keep', default=None, help="work in this folder and keep it")
    a = ap.parse_args(argv)
    import torch, pandas as pd
    from isic_fastai.data import index_task1
    from isic_fastai.prepare import prepare_split
    from isic_fastai.superconvergence import train_seg_folds, SegRecipe
    from isic_fastai.training import Speed
    workers = a.workers or min(8, os.cpu_count() or 1)
    tmp = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix='isic_recipe_'))
    try:
        data, cache, out = tmp/'data', tmp/'cache', tmp/'run'
        t = time.perf_counter(); log(f"writing {a.n} synthetic images of the real sizes (x{a.scale}) ...")
        make_data(data, a.n, a.scale, workers); gen_s = time.perf_counter() - t
        t = time.perf_counter(); log("preparing (cold cache) ...")
        prepare_split(index_task1(data, 'Training'), sizes=a.sizes, cache=cache, workers=workers, progress=False)
        prep_s = time.perf_counter() - t
        pretrained, weights = not a.no_pretrained, a.weights
        if pretrained and weights is None:  # the recipe's stages and compute, without ImageNet weights on this machine
            import torchvision
            weights = tmp/'random_resnet34.pth'; torch.save(torchvision.models.resnet34().state_dict(), weights)
        t = time.perf_counter(); log("training the recipe ...")
        recipe = SegRecipe(sizes=tuple(a.sizes), epochs=a.epochs, folds=a.folds, bs=a.bs, lr=a.lr, pretrained=pretrained,
                           weights=str(weights) if weights else None)
        speed = Speed(device=a.device, workers=workers, bf16=a.bf16, channels_last=a.channels_last, compile=a.compile)
        train_seg_folds(data, out, recipe, speed, cache=cache)
        if torch.cuda.is_available(): torch.cuda.synchronize()
        train_s = time.perf_counter() - t
        hist = pd.read_csv(out/'history.csv')
        stages = len(a.sizes) * (2 if pretrained else 1)
        n_train_imgs = sum(round(a.n * (1 - 1 / a.folds)) if a.folds > 1 else round(a.n * 0.8) for _ in range(a.folds))
        last = hist.groupby('fold').tail(1)
        print(json.dumps(dict(bench='recipe', machine=machine_info(), device=str(a.device or ('cuda' if torch.cuda.is_available() else 'cpu')),
                              n=a.n, sizes=a.sizes, epochs=a.epochs, folds=a.folds, bs=a.bs, stages_per_fold=stages,
                              lr=a.lr, encoder_weights=(a.weights if a.weights else 'random (timing only)') if pretrained else 'none (from scratch)',
                              bf16=a.bf16, channels_last=a.channels_last, compile=a.compile, scale=a.scale,
                              generate_s=round(gen_s, 1), prep_s=round(prep_s, 1), train_s=round(train_s, 1),
                              total_s=round(prep_s + train_s, 1),
                              train_images_per_s=round(n_train_imgs * stages * a.epochs / train_s, 1),
                              last_epoch={f"fold{int(r.fold)}": dict(threshold_jaccard=round(float(r.threshold_jaccard), 4),
                                                                    jaccard=round(float(r.jaccard), 4)) for r in last.itertuples()})),
              flush=True)
    finally:
        if not a.keep: shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
