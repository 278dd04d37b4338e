"""What every benchmark script shares: progress on stderr and the name of the machine it measured."""
import os, platform, sys


def log(*a): print(*a, file=sys.stderr, flush=True)


def machine_info() -> str:
    "CPU model and cores, torch version, GPU name if any."
    cpu = platform.processor() or platform.machine()
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): cpu = line.split(':', 1)[1].strip(); break
    except OSError: pass
    try:
        import torch
        tv = torch.__version__
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'
    except ImportError: tv, gpu = 'no torch', 'no GPU'
    return f"{cpu}, {os.cpu_count()} cores, torch {tv}, {gpu}"
