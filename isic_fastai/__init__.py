__version__ = "0.1.0"
# fastai 2.8.7 calls `torch.jit.script` when it is imported, and torch 2.10+ warns about it on every run: the one
# warning this package silences (set before any module of the package imports fastai)
import warnings as _warnings
_warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated', category=FutureWarning)
