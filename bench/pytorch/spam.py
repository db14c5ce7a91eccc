"""The book's IMDB recipe in PyTorch on the spam split bench/spam.ts writes: multi-hot inputs,
Dense(16, relu) -> Dense(16, relu) -> Dense(1, sigmoid), binary cross-entropy, RMSprop as Keras
(lr 1e-3, rho 0.9, eps 1e-7 outside the root), glorot-uniform kernels and zero biases as Keras
initialises them. Prints one JSON line: test accuracy and loss, training seconds, samples/s.

Debian: apt-get install python3-torch python3-numpy. Usage:
  python3 spam.py --dir DIR --epochs 4 --batch 512 --threads 1 --seed 1
"""
import argparse
import json
import os
import time

import numpy as np
import torch


def load(directory, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype="<f4").reshape(shape))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with open(os.path.join(a.dir, "shapes.json")) as f:
        shapes = json.load(f)
    x_train = load(a.dir, "x_train.f32", shapes["x_train"])
    y_train = load(a.dir, "y_train.f32", shapes["y_train"])
    x_test = load(a.dir, "x_test.f32", shapes["x_test"])
    y_test = load(a.dir, "y_test.f32", shapes["y_test"])
    model = torch.nn.Sequential(
        torch.nn.Linear(x_train.shape[1], 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 1), torch.nn.Sigmoid(),
    )
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.BCELoss()
    n = x_train.shape[0]
    start = time.perf_counter()
    for _ in range(a.epochs):
        order = torch.randperm(n)
        for i in range(0, n, a.batch):
            idx = order[i:i + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        p_test = model(x_test)
        test_loss = loss_fn(p_test, y_test).item()
        accuracy = ((p_test >= 0.5).float() == y_test).float().mean().item()
    print(json.dumps({
        "torch": torch.__version__, "threads": a.threads, "testAccuracy": accuracy,
        "testLoss": test_loss, "trainSeconds": seconds, "samplesPerSecond": n * a.epochs / seconds,
    }))


if __name__ == "__main__":
    main()
