"""What the PyTorch reference scripts share: thread setup, the BLAS in use, a timed step loop."""

import ctypes
import json
import time

import torch


def set_threads(threads):
    """torch's own threads; the BLAS's come from OPENBLAS_NUM_THREADS, set by the caller."""
    torch.set_num_threads(threads)


def blas_kernel():
    """The OpenBLAS this process loaded and the core kernel it picked, else torch's config."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line and ".so" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {
                "library": path,
                "core": lib.openblas_get_corename().decode(),
                "config": lib.openblas_get_config().decode().strip(),
                "threads": lib.openblas_get_num_threads(),
            }
    except (OSError, AttributeError):
        pass
    return {"torchConfig": torch.__config__.show()}


def keras_rmsprop(params):
    """Keras's RMSprop defaults (rho 0.9, eps 1e-7), lr 1e-3."""
    return torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7)


def glorot(model):
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return model


def timed_steps(step, batches, steps, warmup=20):
    """samples/s over `steps` calls of step(batch) after `warmup`, cycling through `batches`."""
    for s in range(warmup):
        step(batches[s % len(batches)])
    start = time.perf_counter()
    samples = 0
    for s in range(steps):
        batch = batches[(warmup + s) % len(batches)]
        step(batch)
        samples += len(batch[1])
    return samples / (time.perf_counter() - start)


def report(out):
    out["torch"] = torch.__version__
    out["torchThreads"] = torch.get_num_threads()
    out["blas"] = blas_kernel()
    print(json.dumps(out))
