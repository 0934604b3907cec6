#!/usr/bin/env python3
"""PyTorch anchor for molgrove's GIN training-step benchmark (bench/gin.mjs).

Hu et al. 2020 (pretrain-gnns, chem/model.py): GNN(num_layer=5, emb_dim=300, JK='last',
drop_ratio=0.2, gnn_type='gin') + mean pooling + Linear(300, 12), trained on batches written by
bench/gin-data.mjs with chem/finetune.py's masked BCE-with-logits loss and Adam(lr=1e-3).
Message passing is written with index_select / index_add_ (what PyG's MessagePassing does with
aggr='add'), so only stdlib + torch are needed.

Usage: /usr/bin/python3 bench/gin_torch.py --batches FILE [--batch-size 32] [--steps 20]
       [--warmup 3] [--threads 2] [--json]
"""

import argparse
import ctypes
import json
import os
import resource
import statistics
import struct
import sys
import time


def _early_threads():
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--threads", type=int, default=2)
    return p.parse_known_args()[0].threads


# Debian's torch does its GEMMs in OpenBLAS (pthread build), whose thread pool torch.set_num_threads
# does not size: fix every pool from --threads before torch (and OpenBLAS) load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_early_threads())

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

# Embedding table sizes. Hu's code has num_atom_type=120 (118 elements + mask 119 + spare) and
# num_chirality_tag=3; molgrove's `hu` codes use the same atom range (Z-1, 118 = other, 119 = mask)
# but give CHI_OTHER (3) its own row, so the chirality table has 4 rows here.
NUM_ATOM_TYPE = 120
NUM_CHIRALITY_TAG = 4
NUM_BOND_TYPE = 6  # single, double, triple, aromatic, self-loop (4), mask (5)
NUM_BOND_DIRECTION = 3
SELF_LOOP_BOND = 4

MAGIC = b"MGGINB01"


def read_batches(path):
    """Reads bench/gin-data.mjs's file: magic, uint32 header length, JSON header, padded arrays."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != MAGIC:
        raise SystemExit(f"{path}: not a molgrove GIN batch file (bad magic)")
    (hlen,) = struct.unpack_from("<I", raw, 8)
    header = json.loads(raw[12 : 12 + hlen].decode("utf-8"))
    data_start = (12 + hlen + 7) // 8 * 8
    buf = bytearray(raw[data_start:])
    num_tasks = header["numTasks"]
    batches = []
    for b in header["batches"]:
        arrays = {}
        for name, a in b["arrays"].items():
            dtype = torch.float32 if a["dtype"] == "f32" else torch.int32
            arrays[name] = torch.frombuffer(buf, dtype=dtype, count=a["length"], offset=a["byteOffset"]).clone()
        n, g = b["numAtoms"], b["numGraphs"]
        # What a PyG Batch from Hu's loader holds: x (n×2 long), edge_index (2×E long), edge_attr
        # (E×2 long), batch (n long), y. Conversions happen here, outside the timed steps.
        x = torch.stack([arrays["atomType"], arrays["chirality"]], dim=1).long()
        edge_index = torch.stack([arrays["edgeSrc"], arrays["edgeDst"]], dim=0).long()
        edge_attr = torch.stack([arrays["bondType"], arrays["bondDir"]], dim=1).long()
        batch = arrays["graphIndex"].long()
        y = arrays["y"].view(g, num_tasks)
        for what, t, size in (
            ("atom type", x[:, 0], NUM_ATOM_TYPE),
            ("chirality", x[:, 1], NUM_CHIRALITY_TAG),
            ("bond type", edge_attr[:, 0], NUM_BOND_TYPE),
            ("bond direction", edge_attr[:, 1], NUM_BOND_DIRECTION),
        ):
            if t.numel() and (int(t.min()) < 0 or int(t.max()) >= size):
                raise SystemExit(f"{path}: {what} code {int(t.max())} outside the embedding table ({size} rows)")
        if edge_index.numel() and int(edge_index.max()) >= n:
            raise SystemExit(f"{path}: edge index out of range")
        batches.append(dict(x=x, edge_index=edge_index, edge_attr=edge_attr, batch=batch, y=y, num_graphs=g))
    return batches, num_tasks


class GINConv(nn.Module):
    """Hu's GINConv: self loops (bond type 4, direction 0), message x_j + E1[type] + E2[dir],
    sum at the target atom, then MLP(emb -> 2 emb -> emb)."""

    def __init__(self, emb_dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(emb_dim, 2 * emb_dim), nn.ReLU(), nn.Linear(2 * emb_dim, emb_dim))
        self.edge_embedding1 = nn.Embedding(NUM_BOND_TYPE, emb_dim)
        self.edge_embedding2 = nn.Embedding(NUM_BOND_DIRECTION, emb_dim)
        nn.init.xavier_uniform_(self.edge_embedding1.weight.data)
        nn.init.xavier_uniform_(self.edge_embedding2.weight.data)

    def forward(self, x, edge_index, edge_attr):
        n = x.size(0)
        # add_self_loops: append (i, i) for every atom, as PyG does, every layer (as Hu's code does).
        loop = torch.arange(n, dtype=edge_index.dtype, device=edge_index.device)
        edge_index = torch.cat([edge_index, torch.stack([loop, loop], dim=0)], dim=1)
        self_loop_attr = torch.zeros(n, 2, dtype=edge_attr.dtype, device=edge_attr.device)
        self_loop_attr[:, 0] = SELF_LOOP_BOND
        edge_attr = torch.cat([edge_attr, self_loop_attr], dim=0)
        edge_embeddings = self.edge_embedding1(edge_attr[:, 0]) + self.edge_embedding2(edge_attr[:, 1])
        # propagate (flow source_to_target): x_j = x[source], aggregate ('add') at target.
        x_j = x.index_select(0, edge_index[0])
        msg = x_j + edge_embeddings
        aggr_out = torch.zeros(n, x.size(1), dtype=x.dtype, device=x.device).index_add_(0, edge_index[1], msg)
        return self.mlp(aggr_out)


class GNN(nn.Module):
    def __init__(self, num_layer=5, emb_dim=300, drop_ratio=0.2):
        super().__init__()
        self.num_layer = num_layer
        self.drop_ratio = drop_ratio
        self.x_embedding1 = nn.Embedding(NUM_ATOM_TYPE, emb_dim)
        self.x_embedding2 = nn.Embedding(NUM_CHIRALITY_TAG, emb_dim)
        nn.init.xavier_uniform_(self.x_embedding1.weight.data)
        nn.init.xavier_uniform_(self.x_embedding2.weight.data)
        self.gnns = nn.ModuleList([GINConv(emb_dim) for _ in range(num_layer)])
        self.batch_norms = nn.ModuleList([nn.BatchNorm1d(emb_dim) for _ in range(num_layer)])

    def forward(self, x, edge_index, edge_attr):
        h = self.x_embedding1(x[:, 0]) + self.x_embedding2(x[:, 1])
        for layer in range(self.num_layer):
            h = self.gnns[layer](h, edge_index, edge_attr)
            h = self.batch_norms[layer](h)
            if layer == self.num_layer - 1:
                h = F.dropout(h, self.drop_ratio, training=self.training)
            else:
                h = F.dropout(F.relu(h), self.drop_ratio, training=self.training)
        return h  # JK = 'last'


class GNNGraphPred(nn.Module):
    def __init__(self, num_tasks, num_layer=5, emb_dim=300, drop_ratio=0.2):
        super().__init__()
        self.gnn = GNN(num_layer, emb_dim, drop_ratio)
        self.graph_pred_linear = nn.Linear(emb_dim, num_tasks)

    def forward(self, x, edge_index, edge_attr, batch, num_graphs):
        node_representation = self.gnn(x, edge_index, edge_attr)
        # global_mean_pool: scatter-sum over each graph's atoms, divided by its atom count.
        summed = torch.zeros(num_graphs, node_representation.size(1), dtype=node_representation.dtype)
        summed.index_add_(0, batch, node_representation)
        counts = torch.zeros(num_graphs, dtype=node_representation.dtype).index_add_(
            0, batch, torch.ones(batch.size(0), dtype=node_representation.dtype)
        )
        pooled = summed / counts.clamp(min=1).unsqueeze(1)
        return self.graph_pred_linear(pooled)


criterion = nn.BCEWithLogitsLoss(reduction="none")


def loss_fn(pred, y):
    """chem/finetune.py's loss (float64, missing labels masked out). Labels here are 0/1 with NaN
    for missing, where Hu's are ±1 with 0 for missing: the same mask and the same targets."""
    y = y.to(torch.float64)
    is_valid = ~torch.isnan(y)
    target = torch.where(is_valid, y, torch.zeros_like(y))
    loss_mat = criterion(pred.double(), target)
    loss_mat = torch.where(is_valid, loss_mat, torch.zeros_like(loss_mat))
    return torch.sum(loss_mat) / torch.sum(is_valid)


def openblas_threads():
    """OpenBLAS's pool size as loaded in this process (None when no OpenBLAS is mapped)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
        for lib in sorted(libs):
            fn = getattr(ctypes.CDLL(lib), "openblas_get_num_threads", None)
            if fn is not None:
                return int(fn())
    except OSError:
        pass
    return None


def forward(model, b):
    return model(b["x"], b["edge_index"], b["edge_attr"], b["batch"], b["num_graphs"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", required=True, help="file written by bench/gin-data.mjs writeBatchesFile")
    ap.add_argument("--batch-size", type=int, default=None, help="expected graphs per batch (checked)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    batches, num_tasks = read_batches(args.batches)
    if not batches:
        raise SystemExit(f"{args.batches}: no batches")
    if args.batch_size is not None and any(b["num_graphs"] != args.batch_size for b in batches):
        raise SystemExit(f"{args.batches}: batches are not all of {args.batch_size} graphs")

    model = GNNGraphPred(num_tasks)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0)
    model.train()

    def train_step(b):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        pred = forward(model, b)
        loss = loss_fn(pred, b["y"])
        t1 = time.perf_counter()
        loss.backward()
        optimizer.step()
        t2 = time.perf_counter()
        return loss.item(), t1 - t0, t2 - t1

    # Full training steps, cycling over the batches.
    k = 0
    for _ in range(args.warmup):
        train_step(batches[k % len(batches)])
        k += 1
    step_ms, step_fwd_ms, step_bwd_ms, losses = [], [], [], []
    for _ in range(args.steps):
        b = batches[k % len(batches)]
        k += 1
        t0 = time.perf_counter()
        loss, fwd, bwd = train_step(b)
        step_ms.append((time.perf_counter() - t0) * 1e3)
        step_fwd_ms.append(fwd * 1e3)
        step_bwd_ms.append(bwd * 1e3)
        losses.append(loss)

    # Forward only (train mode: dropout and batch statistics as in a step; autograd recording on,
    # graph dropped), then inference (eval mode, no_grad).
    def timed(fn, mode):
        model.train(mode)
        j = 0
        for _ in range(args.warmup):
            fn(batches[j % len(batches)])
            j += 1
        out = []
        for _ in range(args.steps):
            b = batches[j % len(batches)]
            j += 1
            t0 = time.perf_counter()
            fn(b)
            out.append((time.perf_counter() - t0) * 1e3)
        return out

    fwd_ms = timed(lambda b: loss_fn(forward(model, b), b["y"]).item(), True)

    def infer(b):
        with torch.no_grad():
            return forward(model, b).sum().item()

    infer_ms = timed(infer, False)

    atoms = [int(b["x"].size(0)) for b in batches]
    edges = [int(b["edge_index"].size(1)) for b in batches]
    result = {
        "ms_per_step_median": statistics.median(step_ms),
        "ms_per_step_mean": statistics.fmean(step_ms),
        "ms_per_step_min": min(step_ms),
        "fwd_ms_median": statistics.median(fwd_ms),
        "step_fwd_ms_median": statistics.median(step_fwd_ms),
        "step_bwd_opt_ms_median": statistics.median(step_bwd_ms),
        "infer_ms_median": statistics.median(infer_ms),
        "steps": args.steps,
        "warmup": args.warmup,
        "threads": args.threads,
        "torch_threads": torch.get_num_threads(),
        "openblas_threads": openblas_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "batch_size": batches[0]["num_graphs"],
        "num_batches": len(batches),
        "mean_atoms_per_batch": statistics.fmean(atoms),
        "mean_edges_per_batch": statistics.fmean(edges),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24} {value:.3f}" if isinstance(value, float) else f"{key:24} {value}")


if __name__ == "__main__":
    main()
