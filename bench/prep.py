"""Data preparation speed: the package's resize cache path against a plain OpenCV full-size decode.

    python bench/prep.py [--n-per-size 4] [--workers 2] [--repeats 3] [--keep DIR]

Writes seeded synthetic dermoscopy-like JPEGs (smooth skin-toned noise, a dark lesion blob, sensor grain; quality 90)
in equal numbers at the four ISIC 2018 resolutions 1022x767, 3008x2000, 4288x2848 and 6688x4439 into a temp folder, then
turns each into 128, 256 and 512 px squares two ways, with the same multiprocessing pool (`--workers` processes, one
OpenCV thread each, files handed out largest first, one at a time):

- baseline: `cv2.imread` of the whole image at full size, then `cv2.resize(..., INTER_AREA)` to each square (resized in
  BGR, then the small outputs converted to RGB: the cheapest order for OpenCV);
- ours: `isic_fastai.prepare.load_resized(path, sizes)`, which decodes once at the smallest JPEG DCT scale that keeps
  both sides >= the largest size (PIL `draft`), then resizes with INTER_AREA.

Wall time of the whole set per side is the best of `--repeats` runs (sides alternate; one untimed warm-up pass each).
Neither side writes PNGs (that part of `prepare_split` is the same for both). Quality: mean absolute difference in grey
levels between ours and the baseline per output size (over all pixels and channels, mean over images; must be <= 2).
Prints ONE JSON line on stdout (progress goes to stderr); exits 1 when the difference exceeds `--max-mad`.
"""
import argparse, json, multiprocessing as mp, os, shutil, statistics, sys, tempfile, time
from pathlib import Path
from _common import log, machine_info  # bench/ is the script's folder, first on sys.path
import numpy as np, cv2

RESOLUTIONS = ((1022, 767), (3008, 2000), (4288, 2848), (6688, 4439))  # (width, height) of ISIC 2018 images


def make_jpeg(job) -> str:
    "Write one seeded dermoscopy-like JPEG: skin-toned smooth noise, a dark irregular blob with a soft edge, grain."
    path, w, h, seed, quality = job
    rng = np.random.default_rng(seed)
    lw, lh = max(64, w // 8), max(48, h // 8)  # the smooth content is drawn at 1/8 and upsampled (it is smooth)
    noise = lambda c, cells: cv2.resize(rng.standard_normal((cells, max(2, cells * lw // lh), c)).astype(np.float32),
                                        (lw, lh), interpolation=cv2.INTER_CUBIC).reshape(lh, lw, c)  # smooth, `cells` bumps tall
    skin = np.array([150, 170, 220], np.float32) + 10 * noise(1, 5) + 4 * noise(3, 5)  # BGR, slow shading + tint
    yy, xx = np.mgrid[:lh, :lw].astype(np.float32)
    cx, cy, rx, ry = lw * rng.uniform(.35, .65), lh * rng.uniform(.35, .65), lw * rng.uniform(.15, .3), lh * rng.uniform(.15, .3)
    d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) + 0.2 * noise(1, 6)[..., 0]  # irregular border
    inside = (1 / (1 + np.exp(np.clip((d - 1) * 12, -30, 30))))[..., None]  # soft edge, 1 inside the lesion
    lesion = np.array([45, 65, 115], np.float32) + 20 * noise(1, 10) + 8 * noise(1, 40) + 5 * noise(3, 10)  # pigment network-ish
    small = np.clip(skin * (1 - inside) + lesion * inside, 0, 255).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    grain, cgrain = np.empty((h, w), np.int16), np.empty((h, w, 3), np.int16)
    cv2.setRNGSeed(seed); cv2.randn(grain, 0, 4); cv2.randn(cgrain, 0, 2)  # sensor grain at full resolution
    img += grain[..., None]; img += cgrain
    ok, buf = cv2.imencode('.jpg', np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    Path(path).write_bytes(buf.tobytes())
    return path


def _init():
    "One OpenCV thread per worker (the pool uses the cores); import the package once, before any timing."
    cv2.setNumThreads(1)
    import isic_fastai.prepare  # noqa: F401


def baseline_resized(path, sizes) -> dict:
    "Full-size OpenCV decode, INTER_AREA resize to each square, RGB."
    a = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    return {s: cv2.cvtColor(cv2.resize(a, (s, s), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB) for s in sizes}


def ours_resized(path, sizes) -> dict:
    "The package's path: one reduced-DCT-scale decode, INTER_AREA resize to each square."
    from isic_fastai.prepare import load_resized
    return load_resized(path, sizes)


def run_one(job):
    "Timed unit of work: returns only the output shapes (no large pickles)."
    side, path, sizes = job
    out = (baseline_resized if side == 'baseline' else ours_resized)(path, sizes)
    return {s: a.shape for s, a in out.items()}


def compare_one(job):
    "Quality pass: both outputs, per-image latency of each side (best of 2), mean absolute difference per size."
    path, sizes = job
    tb, to = [], []
    for _ in range(2):  # best of two per side: single shots are noisy on a shared machine
        t0 = time.perf_counter(); b = baseline_resized(path, sizes)
        t1 = time.perf_counter(); o = ours_resized(path, sizes)
        tb.append(t1 - t0); to.append(time.perf_counter() - t1)
    mad = {s: float(np.abs(o[s].astype(np.int16) - b[s].astype(np.int16)).mean()) for s in sizes}
    return dict(path=path, baseline_s=min(tb), ours_s=min(to), mad=mad)


def timed_pass(pool, side, paths, sizes) -> float:
    t = time.perf_counter()
    for r in pool.imap_unordered(run_one, [(side, p, sizes) for p in paths], chunksize=1):
        assert all(r[s][:2] == (s, s) for s in sizes)
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-per-size', type=int, default=6, help="JPEGs per source resolution (default 6)")
    ap.add_argument('--workers', type=int, default=2, help="processes on both sides (default 2)")
    ap.add_argument('--sizes', type=int, nargs='+', default=[128, 256, 512])
    ap.add_argument('--repeats', type=int, default=3, help="timed runs per side; the best is reported")
    ap.add_argument('--quality', type=int, default=90)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--max-mad', type=float, default=2.0, help="exit 1 when a size's mean difference exceeds this")
    ap.add_argument('--keep', default=None, help="write the JPEGs here and keep them (default: a temp folder, removed)")
    a = ap.parse_args(argv)
    sizes = sorted(set(a.sizes))
    load0 = os.getloadavg()
    folder = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix='isic_bench_prep_'))
    folder.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context('spawn')  # as `prepare_split`
    try:
        with ctx.Pool(a.workers, initializer=_init) as pool:
            jobs = [(str(folder/f'ISIC_{i * 100 + k:07d}.jpg'), w, h, a.seed * 1000 + i * 100 + k, a.quality)
                    for i, (w, h) in enumerate(RESOLUTIONS) for k in range(a.n_per_size)]
            t = time.perf_counter()
            # largest first on both sides: the best load balance a file-per-task pool can get
            paths = [p for p in pool.imap(make_jpeg, jobs[::-1], chunksize=1)]
            mb = sum(os.path.getsize(p) for p in paths) / 2**20
            log(f"prep bench: {len(paths)} JPEGs ({mb:.0f} MB) written in {time.perf_counter() - t:.1f} s to {folder}")
            warm = [jobs[i * a.n_per_size][0] for i in range(len(RESOLUTIONS))]
            for side in ('baseline', 'ours'): timed_pass(pool, side, warm, sizes)  # untimed warm-up
            times = {'baseline': [], 'ours': []}
            for r in range(a.repeats):
                for side in (('baseline', 'ours') if r % 2 == 0 else ('ours', 'baseline')):
                    times[side].append(timed_pass(pool, side, paths, sizes))
                log(f"  run {r}: baseline {times['baseline'][-1]:.2f} s, ours {times['ours'][-1]:.2f} s")
            rows = list(pool.imap(compare_one, [(p, sizes) for p in paths], chunksize=1))
    finally:
        if not a.keep: shutil.rmtree(folder, ignore_errors=True)
    res_of = {j[0]: f"{j[1]}x{j[2]}" for j in jobs}
    per_size = {str(s): dict(mad=round(statistics.fmean(r['mad'][s] for r in rows), 3),
                             max_image_mad=round(max(r['mad'][s] for r in rows), 3)) for s in sizes}
    per_source = {}
    for res in dict.fromkeys(res_of[j[0]] for j in jobs):
        rs = [r for r in rows if res_of[r['path']] == res]
        b, o = statistics.median(r['baseline_s'] for r in rs), statistics.median(r['ours_s'] for r in rs)
        per_source[res] = dict(baseline_ms_per_image=round(1e3 * b, 1), ours_ms_per_image=round(1e3 * o, 1),
                               speedup=round(b / o, 2), mad=({str(s): round(statistics.fmean(r['mad'][s] for r in rs), 3) for s in sizes}))
    bs, os_ = min(times['baseline']), min(times['ours'])
    mad = max(v['mad'] for v in per_size.values())
    from PIL import Image, features
    out = dict(bench='prep', speedup=round(bs / os_, 2), mad=mad, baseline_s=round(bs, 3), ours_s=round(os_, 3),
               n_images=len(paths), workers=a.workers, per_size=per_size, per_source=per_source,
               baseline_runs_s=[round(t, 3) for t in times['baseline']], ours_runs_s=[round(t, 3) for t in times['ours']],
               images_per_s=dict(baseline=round(len(paths) / bs, 2), ours=round(len(paths) / os_, 2)),
               sizes=sizes, jpeg_quality=a.quality, jpeg_mb=round(mb, 1),
               libs=f"opencv {cv2.__version__}, pillow {Image.__version__}, libjpeg-turbo {features.version('libjpeg_turbo')}",
               machine=machine_info(), loadavg_before=[round(x, 2) for x in load0],
               loadavg_after=[round(x, 2) for x in os.getloadavg()])
    print(json.dumps(out), flush=True)
    if mad > a.max_mad:
        log(f"prep bench: mean absolute difference {mad} grey levels exceeds {a.max_mad}")
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
