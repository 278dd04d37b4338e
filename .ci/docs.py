"""Render the notebooks, with their saved outputs, into a static site (nbdev_docs needs Quarto, not installable here).

`python .ci/docs.py` renders nbs/*.ipynb (not `_*`) into _docs/: nbs/index.ipynb -> index.html, nbs/NN_name.ipynb ->
NN_name.html. The notebooks are never executed. `python .ci/docs.py NB.ipynb ... --out DIR` renders just those.
Like nbdev: `#| hide` (and `#| include: false`) cells are dropped, `#| echo: false` hides the code, `#| output: false`
the outputs, and `#| ...` directive lines are stripped from the code shown."""
import argparse, html, re
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter

_directive = re.compile(r'^\s*#\|\s*([\w-]+):?\s*(.*?)\s*$')   # `#| name` or `#| name: value`

def directives(src: str) -> dict:
    "nbdev directives of a code cell (its leading `#| name: value` lines) as {name: value}"
    d = {}
    for line in src.splitlines():
        if not line.strip(): continue
        m = _directive.match(line)
        if not m: break
        d[m[1]] = m[2]
    return d

def title_summary(nb) -> tuple:
    "The first markdown cell's `# title` line and the `> summary` lines right under it, joined"
    md = next((c.source for c in nb.cells if c.cell_type == 'markdown'), '')
    m = re.search(r'^# (.+)\n(?:\s*\n)*((?:>.*(?:\n|$))*)', md, re.M)
    if not m: return '', ''
    return m[1].strip(), ' '.join(l.lstrip('>').strip() for l in m[2].splitlines())

def clean_cells(nb):
    "Drop hidden cells and strip directive lines, as nbdev does for its docs"
    cells = []
    for c in nb.cells:
        if c.cell_type == 'code':
            d = directives(c.source)
            if 'hide' in d or d.get('include') == 'false': continue
            c.source = '\n'.join(l for l in c.source.splitlines() if not _directive.match(l)).strip()
            if d.get('output') == 'false': c.outputs = []
            if d.get('echo') == 'false' or c.source.startswith('show_doc'): c.metadata.transient = {'remove_source': True}
            if not c.source and not c.outputs: continue   # e.g. a lone `#| default_exp`
        cells.append(c)
    nb.cells = cells
    return nb

def page_name(nb_path: Path) -> str: return nb_path.stem + '.html'

def fix_links(body: str, pages: set) -> str:
    "Links to a rendered notebook (`NN_name.ipynb`, optionally `dir/` before it and `#anchor` after) go to its page"
    def sub(m):
        name = Path(m.group(2)).name[:-len('.ipynb')] + '.html'
        return m.group(1) + (name if name in pages else m.group(2)) + (m.group(3) or '') + '"'
    return re.sub(r'(href=")(?![a-z]+:|/)([^"#?]+\.ipynb)(#[^"]*)?"', sub, body)

CSS = """
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#222;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;flex:0 0 13em;background:#f6f7f9;border-right:1px solid #ddd;padding:1em 0}
nav a{display:block;padding:.15em 1em;color:#235;text-decoration:none}
nav a:hover{background:#e6e9ee}
nav a[aria-current]{font-weight:600;background:#dde3ec}
nav a.home{font-size:1.1em;font-weight:700;margin-bottom:.5em}
main{flex:1;min-width:0;max-width:60em;padding:1em 2em}
.prompt,.anchor-link{display:none}
h1:hover .anchor-link,h2:hover .anchor-link,h3:hover .anchor-link{display:inline;margin-left:.3em;color:#aaa}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:13px;margin:.4em 0}
.output_area pre{background:none;border-left:3px solid #ddd}
.output_stderr pre{background:#fff0f0}
code{background:#f3f3f3;padding:0 .2em}
pre code{background:none;padding:0}
blockquote{margin:0;padding:0 1em;color:#555;border-left:3px solid #ccd}
img{max-width:100%}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:.2em .5em}
"""

def nav_html(entries: list, current: str) -> str:
    "A sidebar linking every page: its title, with the summary as a tooltip"
    links = []
    for i, (page, title, summary) in enumerate(entries):
        attrs = f'href="{page}" title="{html.escape(summary)}"' + (' aria-current="page"' if page == current else '')
        attrs += ' class="home"' if i == 0 and page == 'index.html' else ''
        links.append(f'<a {attrs}>{html.escape(title)}</a>')
    return '<nav>\n' + '\n'.join(links) + '\n</nav>'

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>{css}{pygments}</style></head>
<body>
{nav}
<main>
{body}
</main>
</body></html>
"""

def render(nb_paths: list, out: Path):
    "Render `nb_paths` (saved outputs, no execution) into pages under `out` with a shared sidebar"
    nbs = {p: nbformat.read(p, as_version=4) for p in nb_paths}
    entries = [(page_name(p), *title_summary(nb)) for p, nb in nbs.items()]
    entries = [(pg, t or pg[:-5], s) for pg, t, s in entries]
    pages = {e[0] for e in entries}
    # basic template: cells only, we add the page around them; images in markdown are embedded as data URIs.
    # The notebooks are our own: skip nbconvert's bleach pass over highlighted code (two thirds of the run time)
    trusted = lambda h: h.decode() if isinstance(h, bytes) else h
    exp = HTMLExporter(template_name='basic', embed_images=True, exclude_input_prompt=True, exclude_output_prompt=True,
                       filters={'clean_html': trusted})
    pyg = HtmlFormatter(style='default').get_style_defs('.highlight')
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob('*.html'): old.unlink()   # no stale pages from renamed notebooks
    for (p, nb), (page, title, _) in zip(nbs.items(), entries):
        body, _ = exp.from_notebook_node(clean_cells(nb), resources={'metadata': {'path': str(p.parent)}})
        (out/page).write_text(PAGE.format(title=html.escape(title), css=CSS, pygments=pyg,
                                          nav=nav_html(entries, page), body=fix_links(body, pages)))
        print(f'{page:32s} {(out/page).stat().st_size/1024:8.1f} KB  {title}')
    print(f'{len(entries)} pages in {out}/')

def default_notebooks(nbs='nbs') -> list:
    "index.ipynb first, then every other notebook in name order, leaving out `_` scratch notebooks"
    paths = sorted(p for p in Path(nbs).glob('*.ipynb') if not p.name.startswith('_'))
    return sorted(paths, key=lambda p: p.name != 'index.ipynb')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='*', type=Path, help='default: nbs/*.ipynb except _*')
    ap.add_argument('--out', type=Path, default=Path('_docs'))
    a = ap.parse_args()
    render(a.notebooks or default_notebooks(), a.out)
