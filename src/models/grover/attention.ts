// GROVER's MultiHeadedAttention (grover/model/layers.py) with a switch for the attention axis.
//
// Each MTBlock has H Heads; head i gives q_i, k_i, v_i ∈ R^{R×h} (R = atoms or directed bonds). The
// attention module projects them with its own linear_layers (3 × Linear(h, h), always with bias),
// splits h into A = H sub-heads of d_k = h / A, runs scaled dot-product attention, merges the
// sub-heads and applies output_linear (Linear(h, h), bias with --bias):
//
// 'faithful' — the released code stacks the heads as (R, H, h), so torch's attention treats the R
//   items as the batch and the H heads as the sequence: for every item and sub-head, softmax runs
//   over the H heads of that same item (GitHub issue #17). Items never see each other.
// 'fixed' — the same parameters, with the sequence axis swapped to the items: for every head i and
//   sub-head, softmax(q_i k_iᵀ / √d_k) v_i over the atoms (node view) or directed bonds (edge view)
//   of each molecule, never across molecules. Molecules are padded to the longest one, the padded
//   keys masked with −1e9 (as GROVER's own masked_fill), and batched GEMMs do the work.
//
// Both return [R, H·h]: item r's H projected head outputs side by side, as GROVER's
// x_out.view(R, -1) before W_o.

import * as T from '../../tensor/index.js';
import { Dropout, Linear } from '../layers.js';
import { Module, ModuleList } from '../module.js';
import type { Groups } from './graph.js';

export type AttentionMode = 'faithful' | 'fixed';

/** Gather plans from the head-major stacked rows into [B, L, d_k] batches and back. */
interface Plan {
  readonly B: number;
  readonly L: number;
  /** B·L entries: source row in the [H·R·A (+1 zero row), d_k] stack. */
  readonly toPad: Int32Array;
  /** R·H·A entries: padded row each output row (item-major: (r·H + hd)·A + a) comes from. */
  readonly fromPad: Int32Array;
  /** [B, L, L] additive key mask, or null when nothing is padded. */
  readonly mask: Float32Array | null;
}

function faithfulPlan(R: number, H: number, A: number): Plan {
  const B = R * A;
  const L = H;
  const toPad = new Int32Array(B * L);
  const fromPad = new Int32Array(R * H * A);
  for (let r = 0; r < R; r++) {
    for (let a = 0; a < A; a++) {
      for (let hd = 0; hd < H; hd++) {
        const padded = (r * A + a) * L + hd;
        toPad[padded] = (hd * R + r) * A + a;
        fromPad[(r * H + hd) * A + a] = padded;
      }
    }
  }
  return { B, L, toPad, fromPad, mask: null };
}

function fixedPlan(R: number, H: number, A: number, groups: Groups): Plan {
  const G = groups.count;
  let L = 1;
  for (let g = 0; g < G; g++) L = Math.max(L, groups.offsets[g + 1]! - groups.offsets[g]!);
  const B = H * G * A;
  const zeroRow = H * R * A;
  const toPad = new Int32Array(B * L).fill(zeroRow);
  const fromPad = new Int32Array(R * H * A);
  let padded = false;
  for (let hd = 0; hd < H; hd++) {
    for (let g = 0; g < G; g++) {
      const o = groups.offsets[g]!;
      const len = groups.offsets[g + 1]! - o;
      if (len < L) padded = true;
      for (let a = 0; a < A; a++) {
        const b = (hd * G + g) * A + a;
        for (let s = 0; s < len; s++) {
          const r = o + s;
          toPad[b * L + s] = (hd * R + r) * A + a;
          fromPad[(r * H + hd) * A + a] = b * L + s;
        }
      }
    }
  }
  let mask: Float32Array | null = null;
  if (padded) {
    mask = new Float32Array(B * L * L);
    for (let hd = 0; hd < H; hd++) {
      for (let g = 0; g < G; g++) {
        const len = groups.offsets[g + 1]! - groups.offsets[g]!;
        if (len === L) continue;
        for (let a = 0; a < A; a++) {
          const b = (hd * G + g) * A + a;
          for (let i = 0; i < L; i++) mask.fill(-1e9, (b * L + i) * L + len, (b * L + i + 1) * L);
        }
      }
    }
  }
  return { B, L, toPad, fromPad, mask };
}

export class MultiHeadedAttention extends Module {
  readonly linear_layers: ModuleList<Linear>;
  readonly output_linear: Linear;
  private readonly drop: Dropout;
  readonly dk: number;

  constructor(
    readonly numHeads: number,
    readonly hidden: number,
    dropout: number,
    bias: boolean,
    rng: T.Rng,
  ) {
    super();
    this.dk = hidden / numHeads;
    this.linear_layers = this.child(
      'linear_layers',
      new ModuleList([0, 1, 2].map(() => new Linear(hidden, hidden, rng))),
    );
    this.output_linear = this.child('output_linear', new Linear(hidden, hidden, rng, { bias }));
    this.drop = this.child('dropout', new Dropout(dropout, rng.fork()));
  }

  /** qs/ks/vs: H tensors [R, h]; returns [R, H·h]. `groups` (molecules) is used by 'fixed'. */
  forward(
    qs: readonly T.Tensor[],
    ks: readonly T.Tensor[],
    vs: readonly T.Tensor[],
    mode: AttentionMode,
    groups: Groups,
  ): T.Tensor {
    const H = qs.length;
    const R = qs[0]!.shape[0]!;
    const h = this.hidden;
    const A = this.numHeads;
    const dk = this.dk;
    const plan = mode === 'faithful' ? faithfulPlan(R, H, A) : fixedPlan(R, H, A, groups);
    const { B, L } = plan;
    const project = (xs: readonly T.Tensor[], i: number): T.Tensor => {
      // Head-major stack [H·R, h] → linear → rows of d_k: ((hd·R + r)·A + a).
      let x = T.reshape(this.linear_layers.items[i]!.forward(T.concat(xs, 0)), [H * R * A, dk]);
      if (mode === 'fixed') x = T.concat([x, T.zeros([1, dk])], 0);
      return T.reshape(T.gatherRows(x, plan.toPad), [B, L, dk]);
    };
    const q = project(qs, 0);
    const k = project(ks, 1);
    const v = project(vs, 2);
    let scores = T.mulScalar(T.bmm(q, k, { transB: true }), 1 / Math.sqrt(dk));
    if (plan.mask) scores = T.add(scores, T.tensor(plan.mask, [B, L, L]));
    const p = this.drop.forward(T.softmax(T.reshape(scores, [B * L, L])));
    const ctx = T.bmm(T.reshape(p, [B, L, L]), v);
    const merged = T.reshape(T.gatherRows(T.reshape(ctx, [B * L, dk]), plan.fromPad), [R * H, h]);
    return T.reshape(this.output_linear.forward(merged), [R, H * h]);
  }
}
