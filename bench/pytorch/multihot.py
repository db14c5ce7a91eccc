"""The multi-hot model in PyTorch (dense inputs), for side-by-side timings in `bun run bench`.

`python3 bench/pytorch/multihot.py --data FILE --steps N [--threads T] [--batch 512]` prints one
JSON line: samples/s of N timed steps (after 20 warm-up) of Dense(16, relu) → Dense(16, relu)
→ Dense(1) with binary cross-entropy on its logits (sigmoid fused, as Keras and shardfit do) and Keras's RMSprop, on the CSR file bench/multi-hot.ts
writes (count, dims, rowStart, indices, labels), made dense float32 once before timing, as
Keras would feed it. BLAS threads: OPENBLAS_NUM_THREADS.
"""

import argparse

import numpy as np
import torch
from torch import nn

from common import glorot, keras_rmsprop, report, set_threads, timed_steps


def read_multi_hot(path):
    raw = open(path, "rb").read()
    count, dims = np.frombuffer(raw, dtype="<u4", count=2)
    row_start = np.frombuffer(raw, dtype="<i4", count=count + 1, offset=8)
    index = np.frombuffer(raw, dtype="<i4", count=row_start[-1], offset=8 + 4 * (count + 1))
    labels = np.frombuffer(raw, dtype=np.uint8, count=count, offset=8 + 4 * (count + 1 + row_start[-1]))
    x = np.zeros((count, dims), dtype=np.float32)
    rows = np.repeat(np.arange(count), np.diff(row_start))
    x[rows, index] = 1.0
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=512)
    a = p.parse_args()
    set_threads(a.threads)
    torch.manual_seed(1)
    x, y = read_multi_hot(a.data)
    model = glorot(nn.Sequential(
        nn.Linear(x.shape[1], 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)))
    opt = keras_rmsprop(model.parameters())
    loss_fn = nn.BCEWithLogitsLoss()
    n = len(x) // a.batch
    targets = y.float().unsqueeze(1)
    batches = [(x[i * a.batch : (i + 1) * a.batch], targets[i * a.batch : (i + 1) * a.batch]) for i in range(n)]

    def step(batch):
        opt.zero_grad()
        loss_fn(model(batch[0]), batch[1]).backward()
        opt.step()

    sps = timed_steps(step, batches, a.steps)
    report({"model": "multihot", "batch": a.batch, "samplesPerSecond": sps})


if __name__ == "__main__":
    main()
