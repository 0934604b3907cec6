#!/usr/bin/env python3
"""PyTorch anchor for molgrove's GROVER training-step benchmark (bench/grover.mjs).

The GTransformer as GROVER's released code lays it out (padded a2b/a2a gathers summed, attention
across heads, the padding row included), from the independent PyTorch implementation that also
makes molgrove's parity fixture (scripts/fixtures/gen_grover_model.py). One batch of molecules
(bond topology from RDKit, random 0/1 features: the time depends on shapes only), train mode,
fixed depth, dropout 0; a step = forward, loss = sum of the four outputs' means, backward, Adam.

Usage: /usr/bin/python3 bench/grover_torch.py --smiles FILE [--hidden 100] [--heads 2] [--depth 3]
       [--steps 10] [--warmup 2] [--threads 2] [--json]
"""

import argparse
import json
import os
import statistics
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--smiles", required=True)
p.add_argument("--hidden", type=int, default=100)
p.add_argument("--heads", type=int, default=2)
p.add_argument("--depth", type=int, default=3)
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--json", action="store_true")
args = p.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from rdkit import Chem  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "fixtures"))
import gen_grover_model as ref  # noqa: E402

torch.set_num_threads(args.threads)
rng = np.random.default_rng(0)
mols = []
for s in open(args.smiles).read().split():
    mol = Chem.MolFromSmiles(s)
    n = mol.GetNumAtoms()
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]
    mols.append({
        "n": n,
        "fa": (rng.random((n, ref.ATOM_DIM)) < 0.08).astype(np.float32),
        "bonds": bonds,
        "fb": (rng.random((len(bonds), ref.BOND_DIM)) < 0.2).astype(np.float32),
    })
g = ref.grover_batch(mols)
g["f_atoms"] = g["f_atoms"].float()
g["f_bonds"] = g["f_bonds"].float()
model = ref.GTransEncoder(args.hidden, args.heads, args.depth, 1, False).float()
model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)


def step():
    opt.zero_grad()
    outs = model(g, True, True)
    loss = sum(o.mean() for o in outs)
    loss.backward()
    opt.step()


times = []
for i in range(args.warmup + args.steps):
    t0 = time.perf_counter()
    step()
    if i >= args.warmup:
        times.append((time.perf_counter() - t0) * 1000)
res = {
    "median_ms": statistics.median(times),
    "atoms": int(g["f_atoms"].shape[0] - 1),
    "bonds": int(g["f_bonds"].shape[0] - 1),
    "threads": args.threads,
    "torch": torch.__version__,
}
print(json.dumps(res) if args.json else res)
