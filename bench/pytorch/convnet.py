"""The ch. 5 convnet in PyTorch, trained as shardfit trains it, for side-by-side timings.

`python3 bench/pytorch/convnet.py --data DIR [--epochs N | --steps N] [--threads T]` prints one
JSON line. Same network, initialisation (glorot-uniform kernels, zero biases), optimizer (Keras
RMSprop: lr 1e-3, rho 0.9, eps 1e-7), loss and batch (64) as `--model convnet`. Reference only:
shardfit does not depend on it; bench/convnet.ts runs it when python3 can import torch
(Debian: `apt-get install python3-torch`, the 1.13 build the issue measured). BLAS threads:
OPENBLAS_NUM_THREADS.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

from common import blas_kernel


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, name):
    images = read_idx(os.path.join(data_dir, f"{name}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(data_dir, f"{name}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def convnet():
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        # Keras flattens channels-last; the order does not change what the network can learn.
        nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10),
    )
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        hits = sum((model(x[i : i + 1000]).argmax(1) == y[i : i + 1000]).sum().item()
                   for i in range(0, len(x), 1000))
    model.train()
    return hits / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--steps", type=int, default=0, help="time this many batches (after 20 warm-up), no test")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data, "train")
    model = convnet()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(idx):
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()

    out = {"torch": torch.__version__, "threads": a.threads, "batch": 64, "blas": blas_kernel()}
    if a.steps:
        perm = torch.randperm(len(x))
        for s in range(20):
            step(perm[s * 64 : (s + 1) * 64])
        start = time.perf_counter()
        for s in range(a.steps):
            i = (20 + s) % (len(x) // 64)
            step(perm[i * 64 : (i + 1) * 64])
        out["samplesPerSecond"] = a.steps * 64 / (time.perf_counter() - start)
    else:
        start = time.perf_counter()
        for _ in range(a.epochs):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), 64):
                step(perm[i : i + 64])
        out["trainSeconds"] = time.perf_counter() - start
        out["epochs"] = a.epochs
        out["testAccuracy"] = accuracy(model, *load(a.data, "t10k"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
