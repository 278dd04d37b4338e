"""Every console script fed bad input, as a careful new user and a hostile file would give it (issue 13).

    python bench/bad_inputs.py [--out bench/bad_inputs.md]

Each case runs the real console script in a subprocess and records its exit status, the first line of what it said,
and whether a Python traceback appeared. A case passes when the script exits 1 (bad data or file) or 2 (bad
argument), or 0 where the input is odd but valid (then the result is checked), says what is wrong in a few lines,
and prints no traceback. Prints a Markdown table and a summary line; exits 1 when a case fails. Not a test: it
takes a few minutes (each case starts Python, torch and fastai). The tests in the notebooks check each class of
fault in-process."""
import json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

BIN = Path(sys.executable).parent

def make_fixtures(d:Path) -> dict:
    "Tiny synthetic data, a tiny trained Task 1 and Task 3 model, and damaged copies of their files."
    from PIL import Image
    import numpy as np, torch
    torch.set_num_threads(1)
    from isic_fastai.synth import isic_synth
    from isic_fastai.core import task1_input_dir, task1_truth_dir, task3_input_dir
    from isic_fastai.training import Speed
    from isic_fastai.superconvergence import SegRecipe
    from isic_fastai.segment import train_seg
    from isic_fastai.snapshot_ensemble import ClsRecipe
    from isic_fastai.crop_classification import train_cls
    syn = isic_synth(d/'syn', n_train=(12, 21), n_valid=(4, 21), size=(96, 64), workers=1, verbose=False)
    cpu = Speed(device='cpu', workers=1)
    train_seg(syn, d/'seg', SegRecipe(sizes=(32,), epochs=1, folds=1, bs=4, lr=1e-3, pretrained=False), cpu, d/'cache')
    train_cls(syn, d/'cls', ClsRecipe(size=32, cycles=1, cycle_len=1, bs=4, lr=1e-3, pretrained=False, arch='resnet18'),
              cpu, cache=d/'cache')
    f = dict(syn=syn, seg=d/'seg', cls=d/'cls', cache=d/'cache', val=task1_input_dir(syn, 'Validation'),
             val3=task3_input_dir(syn, 'Validation'))
    b = json.loads((d/'seg'/'model.json').read_text())
    for name, change in dict(thr7=dict(threshold=7), thrtext=dict(threshold='high'), arch=dict(arch='unet99'),
                             size=dict(size=100)).items():
        shutil.copytree(d/'seg', d/f'seg_{name}'); (d/f'seg_{name}'/'model.json').write_text(json.dumps(dict(b, **change)))
    shutil.copytree(d/'seg', d/'seg_trunc'); (d/'seg_trunc'/'model.json').write_text(json.dumps(b)[:50])
    shutil.copytree(d/'seg', d/'seg_badw'); (d/'seg_badw'/'fold0'/'model.pth').write_bytes(b'not weights')
    c = json.loads((d/'cls'/'model.json').read_text())
    shutil.copytree(d/'cls', d/'cls_classes'); (d/'cls_classes'/'model.json').write_text(json.dumps(dict(c, classes=c['classes'][:6])))
    # inputs: duplicates, a 16-bit PNG, an empty folder, a file where a folder goes, a foreign non-empty folder
    dup = d/'dup'; dup.mkdir(); src = sorted(f['val'].glob('*.jpg'))[0]
    shutil.copy(src, dup/src.name); shutil.copy(src, dup/(src.stem + '.JPG')); Image.open(src).save(dup/(src.stem + '.png'))
    b16 = d/'b16'; b16.mkdir()
    g = np.asarray(Image.open(src).convert('L')).astype(np.uint16) * 257
    Image.fromarray(g).save(b16/'ISIC_0099999.png')
    (d/'empty').mkdir(); (d/'afile').write_text('x'); (d/'foreign').mkdir(); (d/'foreign'/'notes.txt').write_text('mine')
    # data with 0/1 masks
    m01 = d/'m01'; shutil.copytree(syn, m01)
    for p in task1_truth_dir(m01).glob('*.png'):
        Image.fromarray((np.asarray(Image.open(p)) > 128).astype(np.uint8)).save(p)
    f.update({k: d/k for k in ('dup', 'b16', 'empty', 'afile', 'foreign', 'm01')})
    f.update({f'seg_{k}': d/f'seg_{k}' for k in ('thr7', 'thrtext', 'arch', 'size', 'trunc', 'badw')}, cls_classes=d/'cls_classes')
    return f

def cases(f:dict, d:Path) -> list:
    "(name, argv, expected exit status) of every case."
    syn, seg, cls, cache = str(f['syn']), str(f['seg']), str(f['cls']), str(f['cache'])
    tr = ['isic_train_seg', '--data', syn, '--cache', cache, '--device', 'cpu', '--no-pretrained', '--folds', '1', '--epochs', '1', '--size', '32']
    tc = ['isic_train_cls', '--data', syn, '--cache', cache, '--device', 'cpu', '--no-pretrained', '--size', '32', '--arch', 'resnet18']
    ps = ['isic_predict_seg', '--model', seg, '--images', str(f['val'])]
    pc = ['isic_predict_cls', '--model', cls, '--images', str(f['val3'])]
    o = lambda n: ['--out', str(d/'o'/n)]
    return [
        ('train_seg --size 100', tr + o('a') + ['--size', '100'], 2), ('train_seg --sizes 0', tr[:-2] + o('a') + ['--sizes', '0'], 2),
        ('train_seg --size and --sizes both', tr + o('a') + ['--sizes', '64'], 2),
        ('train_seg --folds 0', tr + o('a') + ['--folds', '0'], 2), ('train_seg --folds 50 (more than the images)', tr + o('a') + ['--folds', '50'], 1),
        ('train_seg --bs 0', tr + o('a') + ['--bs', '0'], 2), ('train_seg --bs -1', tr + o('a') + ['--bs', '-1'], 2),
        ('train_seg --epochs -3', tr + o('a') + ['--epochs', '-3'], 2), ('train_seg --lr nan', tr + o('a') + ['--lr', 'nan'], 2),
        ('train_seg --lr 0', tr + o('a') + ['--lr', '0'], 2), ('train_seg --loss foo', tr + o('a') + ['--loss', 'foo'], 2),
        ('train_seg --device tpu', tr + o('a') + ['--device', 'tpu'], 2), ('train_seg --device gpu0', tr + o('a') + ['--device', 'gpu0'], 2),
        ('train_seg --device cuda (no GPU here)', tr + o('a') + ['--device', 'cuda'], 2), ('train_seg --max-zoom 0.5', tr + o('a') + ['--max-zoom', '0.5'], 2),
        ('train_seg --weights with --no-pretrained', tr + o('a') + ['--weights', 'w.pth'], 2),
        ('train_seg --data typo', ['isic_train_seg', '--data', syn + 'x', '--out', str(d/'o'/'typo'), '--device', 'cpu'], 2),
        ('train_seg --out is a file', tr + ['--out', str(f['afile'])], 2),
        ('train_seg --out holds other files', tr + ['--out', str(f['foreign'])], 1),
        ('train_seg on 0/1 masks', ['isic_train_seg', '--data', str(f['m01']), '--out', str(d/'o'/'m01'), '--device', 'cpu', '--cache', cache], 1),
        ('train_seg rerun with other settings', tr + ['--out', seg, '--epochs', '3'], 1),
        ('predict_seg --bs -1', ps + o('p1') + ['--bs', '-1'], 2), ('predict_seg --bs 0', ps + o('p2') + ['--bs', '0'], 2),
        ('predict_seg --out = ground-truth folder', ps + ['--out', str(Path(syn)/'ISIC2018_Task1_Validation_GroundTruth')], 1),
        ('predict_seg --out = images folder', ps + ['--out', str(f['val'])], 2),
        ('predict_seg --out is a file', ps + ['--out', str(f['afile'])], 2),
        ('predict_seg --images empty folder', ['isic_predict_seg', '--model', seg, '--images', str(f['empty']), *o('p3')], 1),
        ('predict_seg --images missing', ['isic_predict_seg', '--model', seg, '--images', str(d/'nope'), *o('p4')], 2),
        ('predict_seg --model without model.json', ['isic_predict_seg', '--model', str(f['empty']), '--images', str(f['val']), *o('p5')], 1),
        ('predict_seg model.json truncated', ['isic_predict_seg', '--model', str(f['seg_trunc']), '--images', str(f['val']), *o('p6')], 1),
        ('predict_seg model.json threshold 7', ['isic_predict_seg', '--model', str(f['seg_thr7']), '--images', str(f['val']), *o('p7')], 1),
        ('predict_seg model.json threshold "high"', ['isic_predict_seg', '--model', str(f['seg_thrtext']), '--images', str(f['val']), *o('p8')], 1),
        ('predict_seg model.json unknown arch', ['isic_predict_seg', '--model', str(f['seg_arch']), '--images', str(f['val']), *o('p9')], 1),
        ('predict_seg model.json size 100', ['isic_predict_seg', '--model', str(f['seg_size']), '--images', str(f['val']), *o('p10')], 1),
        ('predict_seg fold weights damaged', ['isic_predict_seg', '--model', str(f['seg_badw']), '--images', str(f['val']), *o('p11')], 1),
        ('predict_seg two inputs with one id', ['isic_predict_seg', '--model', seg, '--images', str(f['dup']), *o('p12')], 1),
        ('predict_seg 16-bit PNG input (valid)', ['isic_predict_seg', '--model', seg, '--images', str(f['b16']), *o('p13')], 0),
        ('train_cls --cycles 0', tc + o('c') + ['--cycles', '0'], 2), ('train_cls --size 0', tc + o('c') + ['--size', '0'], 2),
        ('train_cls --epochs 7 --cycles 6', tc + o('c') + ['--epochs', '7'], 2),
        ('train_cls cropbest without --seg-model', tc + o('c') + ['--strategy', 'cropbest'], 2),
        ('train_cls cropbest --folds 3', tc + o('c') + ['--strategy', 'cropbest', '--folds', '3'], 2),
        ('train_cls --seg-model is a Task 3 model', tc + o('c') + ['--strategy', 'cropbest', '--seg-model', cls], 1),
        ('train_cls snapshot with --base', tc + o('c') + ['--base', cls], 2), ('train_cls --arch vgg16', tc + o('c') + ['--arch', 'vgg16'], 2),
        ('train_cls --balance both', tc + o('c') + ['--balance', 'both'], 2), ('train_cls --margin 5', tc + o('c') + ['--margin', '5'], 2),
        ('predict_cls --out is a folder', pc + ['--out', str(f['empty'])], 2), ('predict_cls --out not .csv', pc + ['--out', str(d/'o'/'p.txt')], 2),
        ('predict_cls --bs 0', pc + ['--out', str(d/'o'/'p.csv'), '--bs', '0'], 2),
        ('predict_cls class list changed in model.json', ['isic_predict_cls', '--model', str(f['cls_classes']), '--images', str(f['val3']), '--out', str(d/'o'/'q.csv')], 1),
        ('export --opset 999', ['isic_export', '--model', seg, '--out', str(d/'o'/'e1'), '--opset', '999'], 2),
        ('export --out not empty', ['isic_export', '--model', seg, '--out', str(f['foreign'])], 2),
        ('export --model not a run', ['isic_export', '--model', str(f['empty']), '--out', str(d/'o'/'e2')], 1),
        ('explain calibrate --bins 0', ['isic_explain', 'calibrate', '--model', cls, '--bins', '0'], 2),
        ('explain gradcam --bs 0', ['isic_explain', 'gradcam', '--model', cls, '--images', str(f['val3']), '--bs', '0', '--out', str(d/'o'/'x1')], 2),
        ('explain uncertainty, no model', ['isic_explain', 'uncertainty', '--model', str(f['empty']), '--images', str(f['val'])], 1),
        ('train_ddp --nproc 0', ['isic_train_ddp', '--data', syn, '--out', str(d/'o'/'j'), '--nproc', '0'], 2),
        ('train_ddp --fold 5 of 3', ['isic_train_ddp', '--data', syn, '--out', str(d/'o'/'j'), '--fold', '5', '--device', 'cpu'], 2),
        ('train_ddp --task 3 --strategy cropbest', ['isic_train_ddp', '--task', '3', '--data', syn, '--out', str(d/'o'/'j'), '--strategy', 'cropbest', '--device', 'cpu'], 2),
        ('train_ddp --collect of nothing', ['isic_train_ddp', '--collect', '--out', str(f['empty']), '--folds', '3'], 1),
        ('demo --size 100', ['isic_demo', '--data', syn, '--out', str(d/'o'/'demo'), '--size', '100', '--device', 'cpu'], 2),
        ('demo --device tpu', ['isic_demo', '--data', syn, '--out', str(d/'o'/'demo'), '--device', 'tpu'], 2),
        ('check --splits Foo', ['isic_check', syn, '--splits', 'Foo'], 2), ('check on 0/1 masks', ['isic_check', str(f['m01'])], 1),
        ('check: two files for one id', ['isic_check', str(f['dup'])], 1),
        ('prepare --sizes 0', ['isic_prepare', '--data', syn, '--sizes', '0', '--cache', cache], 2),
        ('prepare --workers 0', ['isic_prepare', '--data', syn, '--workers', '0', '--cache', cache], 2),
        ('score_seg truth folder missing', ['isic_score_seg', str(d/'nope'), str(f['val'])], 2),
        ('score_cls prediction is a folder', ['isic_score_cls', str(Path(syn)/'ISIC2018_Task3_Validation_GroundTruth'/'ISIC2018_Task3_Validation_GroundTruth.csv'), str(f['empty'])], 2),
        ('download --dest is a file', ['isic_download', '--dest', str(f['afile'])], 2),
        ('download --base-url notaurl', ['isic_download', '--dest', str(d/'o'/'dl'), '--base-url', 'notaurl'], 2),
    ]

def run_case(argv:list, expected:int) -> dict:
    t = time.time()
    r = subprocess.run([str(BIN/argv[0])] + argv[1:], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='default'))
    said = [l for l in r.stderr.splitlines() if l.strip() and not l.startswith('usage:')] or r.stdout.strip().splitlines()[-1:] or ['']
    tb = 'Traceback' in r.stderr or 'Traceback' in r.stdout
    return dict(status=r.returncode, expected=expected, traceback=tb, message=said[-1][:160], seconds=round(time.time() - t, 1),
                ok=r.returncode == expected and not tb)

if __name__ == '__main__':
    out = Path(sys.argv[sys.argv.index('--out') + 1]) if '--out' in sys.argv else None
    d = Path(tempfile.mkdtemp(prefix='isic_bad_')); t0 = time.time()
    try:
        f = make_fixtures(d)
        rows = []
        for name, argv, exp in cases(f, d):
            r = dict(case=name, command=argv[0], **run_case(argv, exp)); rows.append(r)
            print(json.dumps(r), flush=True)
        lines = ['| case | exit (expected) | traceback | what it said |', '|---|---|---|---|']
        lines += [f"| {r['case']} | {r['status']} ({r['expected']}) | {'yes' if r['traceback'] else 'no'} | "
                  f"{r['message'].replace('|', '/').replace(str(d), '<tmp>')} |" for r in rows]
        n_bad = sum(not r['ok'] for r in rows)
        lines.append(f"\n{len(rows)} cases, {len(rows) - n_bad} as expected, {n_bad} not; {time.time() - t0:.0f} s")
        print('\n'.join(lines))
        if out: out.write_text('\n'.join(lines) + '\n')
        sys.exit(1 if n_bad else 0)
    finally: shutil.rmtree(d, ignore_errors=True)
