"""The pictures saved in the story notebooks. `python .ci/outputs.py [NOTEBOOK ...]` (make outputs) executes each story
notebook in a Jupyter kernel (nbclient; in nbs/, with ISIC_FIXTURES, the `#| slow`, `#| cuda` and `#| eval: false`
cells left out as nbdev_test leaves them) and keeps the outputs of the cells marked `#| keep_output` only: their
figures are committed with the notebook. Every other cell is saved without outputs, so that pictures of the real
fixture images (non-commercial licence) never enter the repository. `--check` (make sync-check) fails when a story
notebook has no saved picture, when a cell not marked keeps an output, or when a notebook's outputs pass 400 KB."""
import json, os, sys, shutil, subprocess, tempfile, time
from pathlib import Path

STORY = ['04_prepare', '07_lr_finder', '09_superconvergence', '10_segment', '11_snapshot_ensemble',
         '12_crop_classification', '15_explain']
SKIP = ('#| slow', '#| cuda', '#| eval: false', '#| eval:false')
MAX_KB = 400

def _src(c) -> str: return ''.join(c['source'])
def _keep(c) -> bool: return c['cell_type'] == 'code' and '#| keep_output' in _src(c).split('\n')
def _kb(nb) -> float: return sum(len(json.dumps(c.get('outputs', []))) for c in nb['cells']) / 1024

SETUP = "import matplotlib; matplotlib.rcParams.update({'figure.dpi': 56, 'savefig.dpi': 56})"

def render(path:Path, timeout:int=900):
    "Execute notebook `path` and write it back with the outputs of its `#| keep_output` cells only."
    import nbformat, nbclient
    nb = json.loads(path.read_text())
    run = nbformat.reads(json.dumps(nb), as_version=4)
    for c in run.cells:
        if c.cell_type == 'code' and any(l.strip().startswith(SKIP) for l in c.source.split('\n')): c.source = 'pass'
    run.cells.insert(0, nbformat.v4.new_code_cell(SETUP))  # small pictures: a few hundred KB a notebook
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '2'), MPLBACKEND='module://matplotlib_inline.backend_inline')
    fx = Path(__file__).resolve().parents[1].parent/'shared'/'fixtures'
    env.setdefault('ISIC_FIXTURES', str(fx))
    t, tmp = time.time(), tempfile.mkdtemp(prefix='isic_outputs_')
    env['TMPDIR'] = tmp  # the notebook's temporary folders (tiny runs and their checkpoints), removed after it
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name='python3', transport='ipc', ip=str(Path(tmp)/'kernel'))  # a socket file, not TCP
    try: nbclient.NotebookClient(run, km=km, timeout=timeout, resources=dict(metadata=dict(path=str(path.parent))),
                                 env=env).execute()
    finally: shutil.rmtree(tmp, ignore_errors=True)
    outs = {c.get('id'): c.get('outputs', []) for c in run.cells}
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        c['outputs'] = [dict(o) for o in outs.get(c.get('id'), [])] if _keep(c) else []
        c['execution_count'] = None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    print(f"{path.name}: {sum(_keep(c) for c in nb['cells'])} picture cell(s), {_kb(nb):.0f} KB of outputs, {time.time() - t:.0f} s")

def problems(path:Path) -> list:
    "What `--check` finds wrong with a story notebook's saved outputs."
    nb, out = json.loads(path.read_text()), []
    imgs = [c for c in nb['cells'] if _keep(c) and any('image/png' in o.get('data', {}) for o in c.get('outputs', []))]
    if not imgs: out.append(f"{path.name}: no saved picture (run make outputs)")
    stray = [c.get('id') for c in nb['cells'] if c['cell_type'] == 'code' and c.get('outputs') and not _keep(c)]
    if stray: out.append(f"{path.name}: outputs saved in cells not marked #| keep_output: {stray[:5]} (run make outputs)")
    if _kb(nb) > MAX_KB: out.append(f"{path.name}: {_kb(nb):.0f} KB of outputs, more than {MAX_KB} KB")
    return out

if __name__ == '__main__':
    nbs = Path(__file__).resolve().parents[1]/'nbs'
    names = [a for a in sys.argv[1:] if not a.startswith('--')] or STORY
    paths = [nbs/(n if n.endswith('.ipynb') else n + '.ipynb') for n in names]
    if '--check' in sys.argv:
        bad = [p for path in paths for p in problems(path)]
        for b in bad: print(b)
        sys.exit(1 if bad else 0)
    for p in paths:
        render(p)
        subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(p)], check=True)  # ids, metadata
