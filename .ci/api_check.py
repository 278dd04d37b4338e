"""The shape of the library's API, measured on `isic_fastai/*.py` (issue 11's rules); `--check` exits 1 when a rule breaks.

- exported functions and methods with more than 10 parameters (fields of a settings object do not count);
- calls that pass more than 6 keywords of the form `x=x`;
- public function names defined in two modules;
- private names (`_x`) imported from another module of the package;
- exported names (`__all__`) used nowhere else (no other module, notebook, bench script or test uses them);
- lines longer than 120 characters."""
import ast, re, sys, json
from collections import Counter, defaultdict
from pathlib import Path

def measure(lib='isic_fastai', others=('nbs', 'bench')) -> dict:
    mods = {f.stem: f for f in sorted(Path(lib).glob('*.py')) if not f.name.startswith('_')}
    wide, xx, defs, private, long_, exported = [], [], defaultdict(list), [], 0, {}
    for name, f in mods.items():
        src = f.read_text(); tree = ast.parse(src)
        lines, in_all = src.splitlines(), False
        for l in lines:  # nbdev writes the `__all__` list itself (its own line width): not counted
            in_all = l.startswith('__all__ = [') or (in_all and l.startswith(' '))
            long_ += len(l) > 120 and not in_all
        for n in ast.walk(tree):
            if isinstance(n, ast.Assign) and any(getattr(t, 'id', '') == '__all__' for t in n.targets) and isinstance(n.value, ast.List):
                exported[name] = [e.value for e in n.value.elts]
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith('_'):
                a = n.args
                k = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) - (1 if a.args and a.args[0].arg in ('self', 'cls') else 0)
                if k > 10: wide.append(f'{name}.{n.name} ({k})')
            if isinstance(n, ast.Call):
                same = sum(1 for kw in n.keywords if kw.arg and isinstance(kw.value, ast.Name) and kw.value.id == kw.arg)
                if same > 6: xx.append(f'{name}:{n.lineno} ({same})')
            if isinstance(n, ast.ImportFrom) and (n.level or (n.module or '').startswith(lib)):
                private += [f'{name}: {a.name} from {n.module}' for a in n.names if a.name.startswith('_')]
        for n in tree.body:
            if isinstance(n, ast.FunctionDef) and not n.name.startswith('_'): defs[n.name].append(name)
    twice = {k: v for k, v in defs.items() if len(v) > 1}
    corpus = {f: f.read_text() for d in (lib,) + tuple(others) for f in Path(d).rglob('*') if f.suffix in ('.py', '.ipynb') and f.is_file()}
    unused = []
    for name, names in exported.items():
        own = mods[name]
        for e in names:
            pat = re.compile(r'\b' + re.escape(e) + r'\b')
            if not any(pat.search(t) for f, t in corpus.items() if f != own and not f.name.startswith(f'{own.stem}') and
                       not (f.suffix == '.ipynb' and re.match(r'\d\d_' + re.escape(name) + r'\.ipynb', f.name))):
                if len(pat.findall(own.read_text())) <= 1: unused.append(f'{name}.{e}')
    return dict(functions_over_10_params=wide, calls_over_6_same_name_keywords=xx, public_functions_in_two_modules=twice,
                private_imports_across_modules=private, exported_unused=unused, lines_over_120=long_,
                n_exported=sum(len(v) for v in exported.values()))

if __name__ == '__main__':
    lib = sys.argv[sys.argv.index('--lib') + 1] if '--lib' in sys.argv else 'isic_fastai'
    m = measure(lib)
    bad = {k: v for k, v in m.items() if k != 'n_exported' and v}
    if '--check' not in sys.argv: print(json.dumps(m, indent=1))
    elif bad: print(json.dumps(bad, indent=1)); sys.exit(f"api_check: rules broken: {', '.join(bad)} (see above)")
