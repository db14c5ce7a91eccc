"""The seed job's MLP in PyTorch, for side-by-side timings in `bun run bench`.

`python3 bench/pytorch/mlp.py --data DIR --steps N [--threads T] [--batch 128]` prints one JSON
line: samples/s of N timed steps (after 20 warm-up) of Dense(512, relu) → Dense(10) with
softmax cross-entropy, Keras's RMSprop (lr 1e-3, rho 0.9, eps 1e-7), glorot-uniform kernels
and zero biases, on the first N·batch MNIST training images. BLAS threads: OPENBLAS_NUM_THREADS.
"""

import argparse

import torch
from torch import nn

from common import glorot, keras_rmsprop, report, set_threads, timed_steps
from convnet import load


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    a = p.parse_args()
    set_threads(a.threads)
    torch.manual_seed(1)
    x, y = load(a.data, "train")
    x = x.reshape(len(x), -1)
    model = glorot(nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)))
    opt = keras_rmsprop(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    n = min(len(x) // a.batch, a.steps)
    batches = [(x[i * a.batch : (i + 1) * a.batch], y[i * a.batch : (i + 1) * a.batch]) for i in range(n)]

    def step(batch):
        opt.zero_grad()
        loss_fn(model(batch[0]), batch[1]).backward()
        opt.step()

    sps = timed_steps(step, batches, a.steps)
    report({"model": "mlp", "batch": a.batch, "samplesPerSecond": sps})


if __name__ == "__main__":
    main()
