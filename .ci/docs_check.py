"""Check the static docs site (`make docs`) in a real browser: `python .ci/docs_check.py [--site _docs]`.

Fails (exit 1, every problem listed) on a page linked from the navigation that does not exist, a page that has no
navigation or is missing from it, an internal link to a page or `#anchor` that does not exist under the site, or an
image that headless Chromium does not load (`complete && naturalWidth > 0` after the window's load event)."""
import argparse, html, json, os, re, shutil, subprocess, sys, tempfile, time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

class Page(HTMLParser):
    "The ids, links (navigation links apart) and image sources of one HTML page"
    def __init__(self, text):
        super().__init__()
        self.ids, self.links, self.nav, self.imgs, self._in_nav = set(), [], [], [], 0
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.ids.update(v for k, v in attrs if k in ('id', 'name') and v)
        if tag == 'nav': self._in_nav += 1
        if tag == 'a' and a.get('href') is not None: (self.nav if self._in_nav else self.links).append(a['href'])
        if tag == 'img': self.imgs.append(a.get('src') or '')
    def handle_endtag(self, tag):
        if tag == 'nav': self._in_nav = max(0, self._in_nav - 1)

def is_external(href): return bool(urlsplit(href).scheme) or href.startswith('//')

def link_problems(site: Path, name: str, hrefs: list, pages: dict) -> list:
    "The internal links among `hrefs` (of page `name`) that point at no page or anchor under `site`"
    probs = []
    for href in hrefs:
        if is_external(href): continue   # offline: only the site itself is checked
        u = urlsplit(href)
        target = (site/name).parent/unquote(u.path) if u.path else site/name
        try: rel = target.resolve().relative_to(site.resolve()).as_posix()
        except ValueError: probs.append(f'link {href!r} leaves the site'); continue
        if not target.is_file(): probs.append(f'link {href!r}: no such page {rel}')
        elif u.fragment and rel in pages and not {u.fragment, unquote(u.fragment)} & pages[rel].ids:
            probs.append(f'link {href!r}: no anchor #{u.fragment} in {rel}')
    return probs

# added to each page's copy: after window load, every image's state goes into the DOM that --dump-dom prints
PROBE = """<script>addEventListener('load', () => {
  const r = [...document.images].map(i => [i.complete && i.naturalWidth > 0, (i.getAttribute('src') || '').slice(0, 80)]);
  const p = document.createElement('pre'); p.id = '__imgcheck'; p.textContent = JSON.stringify(r); document.body.append(p);
});</script>"""

def chromium_flags(profile): return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
    '--disable-extensions', f'--user-data-dir={profile}']

def browser_images(chromium: str, page: Path, timeout: float = 60) -> list:
    "[(loaded, src)] for each `img` of `page` as Chromium loads it; raises RuntimeError when the page does not load"
    profile = tempfile.mkdtemp(prefix='chromium-profile-')   # a fresh profile per page: runs go in parallel
    try:
        r = subprocess.run([chromium, *chromium_flags(profile), '--dump-dom', page.as_uri()],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired: raise RuntimeError(f'Chromium did not finish in {timeout:.0f} s')
    finally: shutil.rmtree(profile, ignore_errors=True)
    m = re.search(r'<pre id="__imgcheck">(.*?)</pre>', r.stdout, re.S)
    if not m: raise RuntimeError(f'page did not load in Chromium (exit {r.returncode}): {r.stderr.strip()[-500:]}')
    return json.loads(html.unescape(m[1]))

def find_chromium(given=None):
    for c in [given, os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome']:
        if c and shutil.which(c): return shutil.which(c)
    sys.exit('docs-check: no chromium found (apt-get install -y chromium, or --chromium PATH)')

def check(site: Path, chromium: str, workers: int = 2) -> int:
    names = sorted((p.relative_to(site).as_posix() for p in site.rglob('*.html')), key=lambda n: (n != 'index.html', n))
    if not names: sys.exit(f'docs-check: no pages in {site}/ (run make docs)')
    pages = {n: Page((site/n).read_text(errors='replace')) for n in names}
    probs = []
    # navigation: on every page, and every page in it
    in_nav = {((site/n).parent/urlsplit(h).path).resolve() for n, p in pages.items() for h in p.nav if not is_external(h)}
    nav_probs = Counter()   # the same navigation is on every page: one line per broken entry
    for n, p in pages.items():
        if not p.nav: probs.append(f'{n}: has no navigation')
        if (site/n).resolve() not in in_nav: probs.append(f'{n}: not listed in the navigation')
        nav_probs.update(link_problems(site, n, p.nav, pages))
        probs += [f'{n}: {m}' for m in link_problems(site, n, p.links, pages)]
    probs += [f'navigation {m} (on {k} of {len(pages)} pages)' for m, k in nav_probs.items()]
    # images, in the browser, on a copy of the site with the probe added to every page
    with tempfile.TemporaryDirectory(prefix='docs-check-') as tmp:
        copy = Path(tmp)/'site'
        shutil.copytree(site, copy)
        for n in names:
            t = (copy/n).read_text(errors='replace')
            (copy/n).write_text(t.replace('</body>', PROBE + '</body>') if '</body>' in t else t + PROBE)
        def run(n):
            try: return n, browser_images(chromium, copy/n), None
            except RuntimeError as e: return n, [], str(e)
        with ThreadPoolExecutor(workers) as ex: results = list(ex.map(run, names))
    tot_kb = tot_ok = tot_img = 0
    for n, imgs, err in results:
        kb, ok = (site/n).stat().st_size/1024, sum(1 for loaded, _ in imgs if loaded)
        if err: probs.append(f'{n}: {err}')
        probs += [f'{n}: image does not load in the browser: {src!r}' for loaded, src in imgs if not loaded]
        if not err and len(imgs) != len(pages[n].imgs): probs.append(f'{n}: the browser saw {len(imgs)} images, the file has {len(pages[n].imgs)}')
        print(f'{n:32s} {kb:8.1f} KB  images {ok}/{len(imgs)} ok')
        tot_kb, tot_ok, tot_img = tot_kb + kb, tot_ok + ok, tot_img + len(imgs)
    print(f'total: {len(names)} pages, {tot_kb:.1f} KB, images {tot_ok}/{tot_img} ok, {len(probs)} problems')
    for p in probs: print('  PROBLEM', p)
    return 1 if probs else 0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--site', type=Path, default=Path('_docs'))
    ap.add_argument('--chromium', help='the browser binary (default: chromium on PATH, or $CHROMIUM)')
    ap.add_argument('--workers', type=int, default=2, help='pages loaded at once')
    a = ap.parse_args()
    t = time.time()
    rc = check(a.site, find_chromium(a.chromium), a.workers)
    print(f'docs-check: {"FAILED" if rc else "ok"} in {time.time() - t:.1f} s')
    sys.exit(rc)
