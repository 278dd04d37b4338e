"""Write README.md from nbs/index.ipynb (Quarto, which nbdev_readme needs, is not installable here).
`python .ci/readme.py` writes it; `python .ci/readme.py --check` exits 1 when README.md is out of date."""
import json, sys
from pathlib import Path

def render(nb_path='nbs/index.ipynb') -> str:
    out = []
    for c in json.loads(Path(nb_path).read_text())['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide'): continue
        out.append(src if c['cell_type'] == 'markdown' else '```python\n' + src + '\n```')
    return '<!-- generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file -->\n\n' + '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    text = render()
    if '--check' in sys.argv:
        if Path('README.md').read_text() != text: sys.exit('README.md is out of date with nbs/index.ipynb: run make readme')
    else: Path('README.md').write_text(text)
