"""Training and inference speed: the package's fastai path against a bare PyTorch loop and plain fastai.

    python bench/train.py --device cpu|cuda [--task seg|cls|all] [--paths ...] [--size S] [--bs B]

One process, measurements one after another on random-but-structured uint8 data (skin-toned smooth noise with a
darker blob; the blob is the Task 1 mask, the blob's colour family the Task 3 label):

- bare: the same model, the data already on the device as normalised float tensors (channels_last where used),
  `torch.optim.AdamW(fused=True)` + BCE-with-logits (seg) or NLL on the model's log-probabilities (cls), no augmentation, the
  same batch size; BatchNorm state as in ours (encoder/body BatchNorm statistics frozen, the pretrained recipe's
  setting; DynamicUnet: all BatchNorm training, as `unet_learner(pretrained=False)`). On CUDA twice: fp32 (TF32 convolutions, torch's default) and bf16 autocast + channels_last.
  `bare_dynamic_unet`: the same loop on fastai's DynamicUnet-ResNet34 (the model `unet_learner` builds).
- ours: the package's fastai `Learner`, as its recipe runs it: Task 1 `seg_learner(seg_dls(...), 'unet34')` trained
  by `fit_stage(..., 'unfrozen')` (one-cycle, per-epoch seeding, history CSV, checkpoint every epoch); Task 3
  `cls_learner(cls_dls(...), 'resnet50')` trained by `fit_snapshots` (SGDR, a snapshot per 1-epoch cycle).
  Augmentation (`SegAugment` / `ClsAugment`) runs on the device; fp32. `ours_bf16` (CUDA only by default): the same
  learner with the package's `fast_path(learn, bf16=True, channels_last=True)` (what `--bf16 --channels-last` of
  `isic_train_seg` / `isic_train_cls` turn on). `ours_fastai_defaults`: the same learner with `plain_fastai=True`
  (fastai's Python-loop Adam, losses read back to the host every batch): our path as it was before the speed work.
- fastai_unet_learner (seg): plain fastai, `unet_learner(dls, resnet34, pretrained=False, n_out=1)` and BCE on that
  logit, `DataBlock(blocks=(ImageBlock, MaskBlock(codes=['bg','lesion'])))` reading JPEG images + PNG masks (written at
  the training size into a temp folder), `item_tfms=Resize(size)`, `batch_tfms=[*aug_transforms(max_rotate=44,
  max_zoom=1.05, flip_vert=True), Normalize(imagenet_stats)]`, fastai's default loader workers; `to_bf16()` on CUDA.
- infer (our predict loops, eval mode, fp32, in-memory uint8 at the training size, no JPEG decoding): Task 1
  `isic_fastai.segment.predict_probs([model], normalize_batch(x), tta)`, Task 3
  `isic_fastai.snapshot_ensemble.predict_probs(model, x, tta)`, without and with 8x dihedral TTA.

Training images/s count the training phase only (first batch to last, device synchronised) of the steady-state epochs:
the first epoch (bare: first `--steps-per-epoch` steps) is warm-up and left out. `epoch_images_per_s` (fastai paths)
also counts validation, metrics, checkpoints and worker start-up. Peak memory: CUDA `max_memory_allocated` during the
measurement; CPU the process's peak resident set (VmHWM, reset before each measurement; it includes torch itself,
`peak_mem_extra_mb` is the part above the resident set at the start). `ratio_to_bare`: images/s over those of the
bare loop on the same model at the same precision. Prints one JSON line per measurement, then a summary line.
"""
import argparse, gc, json, os, sys, tempfile, time, shutil, warnings
from pathlib import Path
from _common import log, machine_info  # bench/ is the script's folder, first on sys.path
import numpy as np, torch
import torch.nn.functional as F

warnings.filterwarnings('ignore', category=FutureWarning)
warnings.filterwarnings('ignore', category=UserWarning)


# ---------------------------------------------------------------- data
def make_data(n:int, size:int, seed:int, n_classes:int=7, chunk:int=256):
    "uint8 images (n,S,S,3), masks (n,S,S) 0/255 and labels (n,): smooth skin-toned noise, a darker irregular blob."
    g = torch.Generator().manual_seed(seed)
    palette = torch.tensor([[60, 40, 35], [120, 80, 60], [150, 70, 80], [170, 110, 90], [100, 90, 80], [140, 100, 70],
                            [150, 40, 60]], dtype=torch.float32)  # one colour family per class
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing='ij')
    imgs, masks, labels = [], [], []
    for k in range(0, n, chunk):  # in chunks: a few float copies of a whole GPU-sized set would take gigabytes
        c = min(chunk, n - k)
        smooth = lambda ch, cells: F.interpolate(torch.rand(c, ch, cells, cells, generator=g), size=(size, size),
                                                 mode='bicubic', align_corners=False)
        lab = torch.randint(0, n_classes, (c,), generator=g)
        skin = torch.tensor([220., 170., 150.]).view(1, 3, 1, 1) + 25 * (smooth(1, 4) - .5) + 10 * (smooth(3, 4) - .5)
        r = lambda lo, hi: (lo + (hi - lo) * torch.rand(c, generator=g)).view(c, 1, 1)
        cx, cy, rx, ry = r(-.3, .3), r(-.3, .3), r(.25, .55), r(.25, .55)
        d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 + 0.4 * (smooth(1, 5)[:, 0] - .5)
        inside = torch.sigmoid((1 - d) * 12).unsqueeze(1)
        lesion = palette[lab % len(palette)].view(c, 3, 1, 1) + 40 * (smooth(1, 12) - .5) + 10 * (smooth(3, 8) - .5)
        img = skin * (1 - inside) + lesion * inside + 4 * torch.randn(c, 1, size, size, generator=g)
        imgs.append(img.clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy())
        masks.append(((d < 1).to(torch.uint8) * 255).numpy()); labels.append(lab.numpy())
    return np.concatenate(imgs), np.concatenate(masks), np.concatenate(labels)


def write_files(folder:Path, imgs, masks):
    "JPEG images (quality 90) and 0/1 PNG masks for the plain fastai DataBlock path."
    import cv2
    (folder/'images').mkdir(parents=True); (folder/'masks').mkdir()
    for i, (im, m) in enumerate(zip(imgs, masks)):
        cv2.imwrite(str(folder/'images'/f'img_{i:05d}.jpg'), im[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
        cv2.imwrite(str(folder/'masks'/f'img_{i:05d}.png'), (m > 127).astype(np.uint8))


# ---------------------------------------------------------------- measuring
def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def _proc_kb(key:str) -> int:
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'): return int(line.split()[1])
    return 0


class PeakMem:
    "Peak memory of one measurement: CUDA max_memory_allocated, or the process's resident-set high-water mark."
    def __init__(self, dev): self.dev = dev
    def __enter__(self):
        gc.collect()
        if self.dev.type == 'cuda':
            torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats(self.dev)
            self.base = torch.cuda.memory_allocated(self.dev) / 2**20
        else:
            try:
                with open('/proc/self/clear_refs', 'w') as f: f.write('5')  # reset VmHWM to the current VmRSS
                self.kind = 'process peak RSS (VmHWM, reset per measurement)'
            except OSError: self.kind = 'process peak RSS since start (VmHWM could not be reset)'
            self.base = _proc_kb('VmRSS') / 1024
        return self
    def __exit__(self, *exc):
        if self.dev.type == 'cuda':
            self.peak, self.kind = torch.cuda.max_memory_allocated(self.dev) / 2**20, 'cuda max_memory_allocated'
        else: self.peak = _proc_kb('VmHWM') / 1024
    def fields(self) -> dict:
        return dict(peak_mem_mb=round(self.peak, 1), peak_mem_extra_mb=round(self.peak - self.base, 1), mem_kind=self.kind)


def gflops(model, size:int):
    "Training GFLOP per image (forward + backward), counted on the meta device with a batch of 2; None on failure."
    from copy import deepcopy
    from torch.utils.flop_counter import FlopCounterMode
    try:  # (isic_fastai.unet34.train_gflops uses a batch of 1: BatchNorm1d of the Task 3 head refuses it in train mode)
        m = deepcopy(model).to('meta').train()
        with FlopCounterMode(display=False) as fc:
            m(torch.randn(2, 3, size, size, device='meta')).float().sum().backward()
        return round(fc.get_total_flops() / 2e9, 2)
    except Exception as e:
        log(f"  (GFLOP count failed: {type(e).__name__}: {str(e)[:80]})"); return None


def step_stats(step_s:list, bs:int) -> dict:
    "Per-step times (CPU only): the median step as images/s, robust to other jobs on a shared machine."
    if not step_s: return {}
    return dict(images_per_s_median_step=round(bs / float(np.median(step_s)), 2),
                images_per_s_best_step=round(bs / float(np.min(step_s)), 2), step_s=[round(t, 3) for t in step_s])


def cl(x:torch.Tensor, on:bool) -> torch.Tensor: return x.contiguous(memory_format=torch.channels_last) if on else x


# ---------------------------------------------------------------- the bare loop
def bare_train(task, model, imgs, masks, labels, cfg, bf16:bool, channels_last:bool) -> dict:
    "Bare PyTorch training: data on the device as float tensors, AdamW, BCE-with-logits / NLL, no augmentation."
    from isic_fastai.prepare import normalize_batch
    dev, bs, spe = cfg.dev, cfg.bs, cfg.steps_per_epoch
    n = bs * spe
    with PeakMem(dev) as pm:
        model = model.to(dev)
        if channels_last: model = model.to(memory_format=torch.channels_last)
        model.train()
        x = cl(normalize_batch(torch.from_numpy(imgs[:n]).to(dev)), channels_last)
        y = (torch.from_numpy(masks[:n]).to(dev) > 127).float().unsqueeze(1) if task == 'seg' else torch.from_numpy(labels[:n]).to(dev)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.01, fused=True)
        loss_fn = F.binary_cross_entropy_with_logits if task == 'seg' else F.nll_loss
        def step(i):
            xb, yb = x[i*bs:(i+1)*bs], y[i*bs:(i+1)*bs]
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
                out = model(xb)
            loss = loss_fn(out.float(), yb)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        for i in range(spe): step(i)  # warm-up epoch
        sync(dev)
        times, steps = [], []
        for e in range(cfg.epochs - 1):
            t = time.perf_counter()
            for i in range(spe):
                ts = time.perf_counter(); step(i)
                if dev.type == 'cpu': steps.append(time.perf_counter() - ts)  # no per-step sync on a GPU
            sync(dev); times.append(time.perf_counter() - t)
        data_mb = (x.numel() * x.element_size() + y.numel() * y.element_size()) / 2**20
    return dict(images_per_s=n * len(times) / sum(times), epoch_train_s=[round(t, 3) for t in times],
                steps_timed=spe * len(times), **step_stats(steps, bs), **pm.fields(), data_on_device_mb=round(data_mb, 1))


# ---------------------------------------------------------------- the fastai paths
def timer_cb(dev):
    "A fastai callback timing the training phase of every epoch, and the whole epoch."
    from fastai.callback.core import Callback
    from fastai.torch_core import find_bs
    class TrainTimer(Callback):
        order = 100  # after the checkpoint / history callbacks (60, 61): `epoch_s` includes them
        def __init__(self): self.epochs = []
        def before_epoch(self): sync(dev); self.te = time.perf_counter()
        def before_train(self): sync(dev); self.t0, self.n, self.nb, self.steps = time.perf_counter(), 0, 0, []; self.tb = self.t0
        def after_batch(self):
            if not self.training: return
            self.n += find_bs(self.learn.yb); self.nb += 1
            if dev.type == 'cpu':  # interval between batches: loading, augmentation, step and callbacks
                t = time.perf_counter(); self.steps.append(t - self.tb); self.tb = t
        def after_train(self): sync(dev); self.tt = time.perf_counter() - self.t0
        def after_epoch(self):
            sync(dev)
            self.epochs.append(dict(train_s=self.tt, n=self.n, epoch_s=time.perf_counter() - self.te, steps=self.steps, nb=self.nb))
        def result(self, bs:int) -> dict:
            st = self.epochs[1:]  # the first epoch is warm-up
            n = sum(e['n'] for e in st)
            return dict(images_per_s=n / sum(e['train_s'] for e in st), epoch_images_per_s=n / sum(e['epoch_s'] for e in st),
                        epoch_train_s=[round(e['train_s'], 3) for e in st], epoch_total_s=[round(e['epoch_s'], 3) for e in st],
                        steps_timed=sum(e['nb'] for e in st), **step_stats([t for e in st for t in e['steps']], bs))
    return TrainTimer()


def ours_seg(imgs, masks, cfg, tmp:Path, bf16:bool=False, plain:bool=False):
    "Task 1 our path: seg_dls + seg_learner('unet34'), trained by the recipe's fit_stage (unfrozen)."
    import fastai.callback.progress, fastai.callback.fp16  # noqa: F401  (Learner.no_bar, Learner.to_bf16)
    from isic_fastai.superconvergence import seg_dls, seg_learner, fit_one_cycle_stage
    from isic_fastai.training import Speed, fast_path, EpochSeed, HistoryCSV, EpochCheckpoint
    from isic_fastai.unet34 import freeze_to, seg_splitter
    n = cfg.bs * cfg.steps_per_epoch
    valid = np.zeros(n + cfg.bs, bool); valid[n:] = True
    with PeakMem(cfg.dev) as pm:
        learn = seg_learner(seg_dls(imgs[:n + cfg.bs], masks[:n + cfg.bs], valid, bs=cfg.bs, device=cfg.dev, seed=0),
                            'unet34', pretrained=False, path=tmp, plain_fastai=plain)
        freeze_to(learn.model, seg_splitter, 0, bn_frozen=True)  # the recipe's unfrozen stage
        if bf16: fast_path(learn, Speed(bf16=True, channels_last=True))
        timer = timer_cb(cfg.dev); learn.add_cb(timer)
        cbs = [EpochSeed(0), HistoryCSV(tmp/'history.csv', fold=0), EpochCheckpoint(tmp/'last.pth', key='bench')]
        with learn.no_bar(), learn.no_logging(): fit_one_cycle_stage(learn, 1e-3, cbs, 0, cfg.epochs, frozen=False)
    return learn, dict(timer.result(cfg.bs), **pm.fields())


def ours_cls(imgs, labels, cfg, tmp:Path, bf16:bool=False, plain:bool=False):
    "Task 3 our path: cls_dls + cls_learner('resnet50'), body unfrozen (BatchNorm frozen), fit_snapshots (SGDR)."
    import fastai.callback.progress, fastai.callback.fp16  # noqa: F401
    from isic_fastai.snapshot_ensemble import cls_dls, cls_learner, cls_splitter, fit_snapshots, class_weights
    from isic_fastai.training import Speed, fast_path, EpochSeed, HistoryCSV, EpochCheckpoint
    from isic_fastai.unet34 import freeze_to
    n = cfg.bs * cfg.steps_per_epoch
    valid = np.zeros(n + cfg.bs, bool); valid[n:] = True
    lab = labels[:n + cfg.bs]
    with PeakMem(cfg.dev) as pm:
        learn = cls_learner(cls_dls(imgs[:n + cfg.bs], lab, valid, bs=cfg.bs, device=cfg.dev, seed=0, balance='weights'),
                            'resnet50', pretrained=False, loss_weights=class_weights(lab[~valid]), path=tmp, plain_fastai=plain)
        freeze_to(learn.model, cls_splitter, 0, bn_frozen=True)
        if bf16: fast_path(learn, Speed(bf16=True, channels_last=True))
        timer = timer_cb(cfg.dev); learn.add_cb(timer)
        cbs = [EpochSeed(0), HistoryCSV(tmp/'history.csv', fold=0), EpochCheckpoint(tmp/'last.pth', key='bench')]
        with learn.no_bar(), learn.no_logging():
            fit_snapshots(learn, cfg.epochs, 1, slice(1e-4, 1e-3), tmp, cbs=cbs)
    return learn, dict(timer.result(cfg.bs), **pm.fields())


def fastai_unet_learner(imgs, masks, cfg, tmp:Path):
    "Plain fastai: DataBlock over JPEG/PNG files, aug_transforms on the batch, unet_learner(resnet34, n_out=1), BCE."
    from fastai.vision.all import (DataBlock, ImageBlock, MaskBlock, FuncSplitter, Resize, aug_transforms, Normalize,
                                   imagenet_stats, unet_learner, resnet34, get_image_files)
    n = cfg.bs * cfg.steps_per_epoch
    write_files(tmp, imgs[:n + cfg.bs], masks[:n + cfg.bs])
    valid_names = {f'img_{i:05d}' for i in range(n, n + cfg.bs)}
    mdir = tmp/'masks'
    def bce1(out, targ):  # BCE-with-logits on the single output channel against the 0/1 mask
        return F.binary_cross_entropy_with_logits(out.as_subclass(torch.Tensor)[:, 0].float(), targ.as_subclass(torch.Tensor).float())
    with PeakMem(cfg.dev) as pm:
        db = DataBlock(blocks=(ImageBlock, MaskBlock(codes=['bg', 'lesion'])), get_items=get_image_files,
                       get_y=lambda p: mdir/f'{p.stem}.png', splitter=FuncSplitter(lambda p: p.stem in valid_names),
                       item_tfms=Resize(cfg.size),
                       batch_tfms=[*aug_transforms(max_rotate=44., max_zoom=1.05, flip_vert=True), Normalize.from_stats(*imagenet_stats)])
        kw = {} if cfg.fastai_workers is None else dict(num_workers=cfg.fastai_workers)
        dls = db.dataloaders(tmp/'images', bs=cfg.bs, device=cfg.dev, **kw)
        learn = unet_learner(dls, resnet34, pretrained=False, n_out=1, loss_func=bce1, path=tmp)
        gf = gflops(learn.model, cfg.size)
        if cfg.dev.type == 'cuda': learn.to_bf16()
        timer = timer_cb(cfg.dev); learn.add_cb(timer)
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(cfg.epochs, 1e-3)
    return dict(timer.result(cfg.bs), **pm.fields(),
                num_workers=dls.train.num_workers, train_gflop_per_image=gf)


# ---------------------------------------------------------------- inference
def infer(task, model, imgs, cfg, tta:bool) -> dict:
    "Our predict loop on in-memory uint8 images at the training size (fp32, eval mode); the first batch is warm-up."
    bs, nb = cfg.bs, cfg.infer_batches
    batches = [imgs[i*bs:(i+1)*bs] for i in range(nb + 1)]
    model = model.to(cfg.dev).eval()
    if task == 'seg':
        from isic_fastai.segment import seg_probs
        from isic_fastai.prepare import normalize_batch
        run = lambda b: seg_probs([model], normalize_batch(torch.from_numpy(b).to(cfg.dev)), tta).cpu()
    else:
        from isic_fastai.snapshot_ensemble import cls_probs
        run = lambda b: cls_probs(model, b, tta, bs, cfg.dev)
    with PeakMem(cfg.dev) as pm:
        run(batches[0]); sync(cfg.dev)
        steps, t = [], time.perf_counter()
        for b in batches[1:]:
            ts = time.perf_counter(); run(b); steps.append(time.perf_counter() - ts)  # both loops return host arrays
        sync(cfg.dev); dt = time.perf_counter() - t
    return dict(images_per_s=nb * bs / dt, n_images=nb * bs, **(step_stats(steps, bs) if cfg.dev.type == 'cpu' else {}),
                **pm.fields())


# ---------------------------------------------------------------- main
SEG_PATHS = ('bare', 'ours', 'ours_fastai_defaults', 'ours_bf16', 'infer', 'bare_dynamic_unet', 'fastai_unet_learner')
CLS_PATHS = ('bare', 'ours', 'ours_fastai_defaults', 'ours_bf16', 'infer')
DEFAULTS = dict(cpu=dict(seg=(64, 8), cls=(64, 8), steps_per_epoch=4, epochs=3, infer_batches=3),
                cuda=dict(seg=(256, 64), cls=(224, 128), steps_per_epoch=20, epochs=3, infer_batches=8))


def _ratios(r:dict, ref:dict|None) -> dict:
    "images/s over the bare loop's (mean over the timed steps; on the CPU also the median-step ratio)."
    if ref is None: return dict(ratio_to_bare=None)
    out = dict(ratio_to_bare=round(r['images_per_s'] / ref['images_per_s'], 3))
    if 'images_per_s_median_step' in r and 'images_per_s_median_step' in ref:
        out['ratio_to_bare_median_step'] = round(r['images_per_s_median_step'] / ref['images_per_s_median_step'], 3)
    return out


def _tflops(r:dict, gf) -> dict:
    return {} if gf is None else dict(train_gflop_per_image=gf, achieved_tflops=round(r['images_per_s'] * gf / 1e3, 3))


def run_task(task, cfg, emit):
    from isic_fastai.unet34 import make_seg_model, freeze_to, seg_splitter
    from isic_fastai.snapshot_ensemble import make_cls_model, cls_splitter
    size, bs = cfg.size or DEFAULTS[cfg.dev.type][task][0], cfg.bs_arg or DEFAULTS[cfg.dev.type][task][1]
    cfg.size, cfg.bs = size, bs
    cuda = cfg.dev.type == 'cuda'
    allowed = SEG_PATHS if task == 'seg' else CLS_PATHS
    paths = [p for p in (cfg.paths or allowed) if p in allowed]
    if not cfg.paths and not cuda: paths = [p for p in paths if p != 'ours_bf16']  # bf16 autocast on a CPU is slow and says nothing about the GPU
    n = bs * max(cfg.steps_per_epoch + 1, cfg.infer_batches + 1)
    imgs, masks, labels = make_data(n, size, seed=1)
    base = dict(bench='train', task=task, device=cfg.dev.type, size=size, bs=bs)
    if cuda: base['tf32_conv'] = torch.backends.cudnn.allow_tf32
    bare, gf_of = {}, {}  # (model, precision) -> bare result; model -> training GFLOP per image
    def new_model(arch):
        if task == 'cls': return freeze_to(make_cls_model('resnet50', pretrained=False), cls_splitter, 0, bn_frozen=True)
        m = make_seg_model(arch, pretrained=False, img_size=(size, size))
        # Unet34: BatchNorm as our recipe sets it; DynamicUnet: all BatchNorm training, as unet_learner(pretrained=False)
        return freeze_to(m, seg_splitter, 0, bn_frozen=True) if arch == 'unet34' else m
    model_name = 'unet34' if task == 'seg' else 'resnet50'
    precisions = [('fp32', False, False)] + ([('bf16', True, True)] if cuda else [])
    tmp = Path(tempfile.mkdtemp(prefix=f'isic_bench_{task}_'))
    trained = None  # our fp32 model after training, for the inference measurements
    try:
        for path in paths:
            log(f"train bench: {task} {path} ...")
            if path in ('bare', 'bare_dynamic_unet'):
                arch = 'dynamic_unet' if path == 'bare_dynamic_unet' else model_name
                for prec, bf16, chl in precisions:
                    torch.manual_seed(0)
                    m = new_model(arch)
                    if arch not in gf_of: gf_of[arch] = gflops(m, size)
                    r = bare_train(task, m, imgs, masks, labels, cfg, bf16, chl)
                    del m
                    bare[(arch, prec)] = r
                    emit(dict(base, path='bare', model=arch, precision=prec, channels_last=chl, ratio_to_bare=1.0,
                              **_tflops(r, gf_of[arch]), **r))
            elif path in ('ours', 'ours_bf16', 'ours_fastai_defaults'):
                bf16, plain = path == 'ours_bf16', path == 'ours_fastai_defaults'
                torch.manual_seed(0)
                d = tmp/path; d.mkdir()
                learn, r = (ours_seg(imgs, masks, cfg, d, bf16, plain) if task == 'seg' else ours_cls(imgs, labels, cfg, d, bf16, plain))
                prec = 'bf16' if bf16 else 'fp32'
                note = ("the package's fast_path(bf16=True, channels_last=True)" if bf16 else
                        "fp32, plain_fastai=True: fastai's Python Adam and per-batch loss reads (the path before the speed work)" if plain
                        else "fp32 (the package's default: FusedAdamW, sync_free)")
                emit(dict(base, path=path, model=model_name, precision=prec, channels_last=bf16,
                          **_ratios(r, bare.get((model_name, prec))), note=note, **_tflops(r, gf_of.get(model_name)), **r))
                if path == 'ours': trained = learn.model.cpu()  # off the device until the inference measurements
                del learn
            elif path == 'fastai_unet_learner':
                torch.manual_seed(0)
                d = tmp/path; d.mkdir()
                r = fastai_unet_learner(imgs, masks, cfg, d)
                prec = 'bf16' if cuda else 'fp32'
                r34 = _ratios(r, bare.get(('unet34', precisions[-1][0])))
                emit(dict(base, path=path, model='dynamic_unet', precision=prec, channels_last=False,
                          **_ratios(r, bare.get(('dynamic_unet', prec))),
                          **{k.replace('ratio_to_bare', 'ratio_to_bare_unet34'): v for k, v in r34.items()},
                          note="ratio_to_bare: vs the bare loop on the same DynamicUnet at the same precision; "
                               "ratio_to_bare_unet34: vs the bare loop on the paper's Unet34 at its best precision here",
                          **_tflops(r, r.pop('train_gflop_per_image', None) or gf_of.get('dynamic_unet')), **r))
            elif path == 'infer':
                if trained is None: log("  (no trained 'ours' model: inference on a fresh one)")
                m = trained if trained is not None else new_model(model_name).to(cfg.dev)
                for tta in (False, True):
                    r = infer(task, m, imgs, cfg, tta)
                    emit(dict(base, bench='infer', path='ours_predict', model=model_name, precision='fp32', tta=tta,
                              ratio_to_bare=None, **r))
            gc.collect()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default=None, help="cpu or cuda (default: cuda when a GPU is visible)")
    ap.add_argument('--task', default='all', choices=('seg', 'cls', 'all'))
    ap.add_argument('--paths', default=None, help=f"comma list of {sorted(set(SEG_PATHS + CLS_PATHS))} (default: all that apply)")
    ap.add_argument('--size', type=int, default=None, help="square size (default: cuda seg 256 / cls 224, cpu 64)")
    ap.add_argument('--bs', type=int, default=None, help="batch size (default: cuda seg 64 / cls 128, cpu 8)")
    ap.add_argument('--steps-per-epoch', type=int, default=None, help="training batches per epoch (default: cuda 20, cpu 4)")
    ap.add_argument('--epochs', type=int, default=None, help="epochs including the untimed first one (default 3)")
    ap.add_argument('--infer-batches', type=int, default=None, help="timed inference batches (default: cuda 8, cpu 3)")
    ap.add_argument('--fastai-workers', type=int, default=None, help="loader workers of the plain fastai path (default: fastai's)")
    ap.add_argument('--threads', type=int, default=None, help="torch threads on the CPU (default: os.cpu_count())")
    a = ap.parse_args(argv)
    from isic_fastai.core import pick_device
    try: dev = pick_device(a.device)
    except RuntimeError as e: ap.error(str(e))
    unknown = set(a.paths.split(',')) - set(SEG_PATHS + CLS_PATHS) if a.paths else set()
    if unknown: ap.error(f"unknown --paths {sorted(unknown)}; choose from {sorted(set(SEG_PATHS + CLS_PATHS))}")
    d = DEFAULTS[dev.type]
    cfg = argparse.Namespace(dev=dev, size=a.size, bs_arg=a.bs, steps_per_epoch=a.steps_per_epoch or d['steps_per_epoch'],
                             epochs=a.epochs or d['epochs'], infer_batches=a.infer_batches or d['infer_batches'],
                             fastai_workers=a.fastai_workers, paths=a.paths.split(',') if a.paths else None)
    if cfg.epochs < 2: ap.error("--epochs must be >= 2 (the first one is not timed)")
    if dev.type == 'cpu': torch.set_num_threads(a.threads or os.cpu_count())
    else: torch.backends.cudnn.benchmark = True
    t0, load0, lines = time.perf_counter(), os.getloadavg(), []
    def emit(d):
        d = {k: (round(v, 2) if isinstance(v, float) and k in ('images_per_s', 'epoch_images_per_s') else v) for k, v in d.items()}
        lines.append(d); print(json.dumps(d), flush=True)
    for task in (('seg', 'cls') if a.task == 'all' else (a.task,)):
        cfg.size, cfg.bs = a.size, None
        cfg.bs_arg = a.bs
        run_task(task, cfg, emit)
    summary = dict(bench='train_summary', device=dev.type, machine=machine_info(), torch_threads=torch.get_num_threads(),
                   results={f"{l['bench']}/{l['task']}/{l['path']}/{l.get('model')}/{l.get('precision')}"
                            + (f"/tta={l['tta']}" if 'tta' in l else ''): {k: l[k] for k in ('images_per_s', 'images_per_s_median_step', 'ratio_to_bare', 'ratio_to_bare_median_step',
                                                   'peak_mem_mb', 'size', 'bs') if k in l}
                            for l in lines},
                   notes=["training images/s: steady-state epochs only (the first is warm-up), training phase only"],
                   wall_s=round(time.perf_counter() - t0, 1), loadavg_before=[round(x, 2) for x in load0],
                   loadavg_after=[round(x, 2) for x in os.getloadavg()])
    print(json.dumps(summary), flush=True)


if __name__ == '__main__':
    main()
