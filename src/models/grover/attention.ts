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
//   of each molecule, never across molecules. Molecules of similar size share a bucket padded to
//   its longest one (padded keys masked with −1e9, as GROVER's own masked_fill), and batched GEMMs
//   do the work per bucket: padding every molecule to the batch's largest would cost Σ L² per
//   molecule instead of Σ len², 30× more on a BBBP batch with one large molecule.
//
// Both return [R, H·h]: item r's H projected head outputs side by side, as GROVER's
// x_out.view(R, -1) before W_o.

import * as T from '../../tensor/index.js';
import { Dropout, Linear } from '../layers.js';
import { Module, ModuleList } from '../module.js';
import type { Groups } from './graph.js';

export type AttentionMode = 'faithful' | 'fixed';

/** One padded batch of attention problems: [B, L, d_k] gathered from the head-major stacked rows. */
interface Bucket {
  readonly B: number;
  readonly L: number;
  /** B·L entries: source row in the [H·R·A (+1 zero row), d_k] stack. */
  readonly toPad: Int32Array;
  /** [B, L, L] additive key mask, or null when nothing in the bucket is padded. */
  readonly mask: Float32Array | null;
}

/** Gather plans: the buckets, and where each output row sits in their concatenated results. */
interface Plan {
  readonly buckets: readonly Bucket[];
  /** R·H·A entries: row (item-major: (r·H + hd)·A + a) of the concatenated [Σ B·L, d_k] results. */
  readonly fromPad: Int32Array;
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
  return { buckets: [{ B, L, toPad, mask: null }], fromPad };
}

/**
 * Molecules sorted by size and cut into buckets whose longest member is at most 25% (and 4 items)
 * longer than its shortest, so padding stays small whatever the batch's largest molecule.
 */
function sizeBuckets(groups: Groups): number[][] {
  const len = (g: number): number => groups.offsets[g + 1]! - groups.offsets[g]!;
  const order = Array.from({ length: groups.count }, (_, g) => g).filter((g) => len(g) > 0);
  order.sort((x, y) => len(x) - len(y) || x - y);
  const buckets: number[][] = [];
  for (const g of order) {
    const cur = buckets[buckets.length - 1];
    if (cur && len(g) <= Math.max(len(cur[0]!) * 1.25, len(cur[0]!) + 4)) cur.push(g);
    else buckets.push([g]);
  }
  return buckets;
}

function fixedPlan(R: number, H: number, A: number, groups: Groups): Plan {
  const zeroRow = H * R * A;
  const fromPad = new Int32Array(R * H * A);
  const buckets: Bucket[] = [];
  let base = 0;
  for (const members of sizeBuckets(groups)) {
    const G = members.length;
    let L = 1;
    for (const g of members) L = Math.max(L, groups.offsets[g + 1]! - groups.offsets[g]!);
    const B = H * G * A;
    const toPad = new Int32Array(B * L).fill(zeroRow);
    let mask: Float32Array | null = null;
    for (let hd = 0; hd < H; hd++) {
      members.forEach((g, k) => {
        const o = groups.offsets[g]!;
        const len = groups.offsets[g + 1]! - o;
        for (let a = 0; a < A; a++) {
          const b = (hd * G + k) * A + a;
          for (let s = 0; s < len; s++) {
            const r = o + s;
            toPad[b * L + s] = (hd * R + r) * A + a;
            fromPad[(r * H + hd) * A + a] = base + b * L + s;
          }
          if (len < L) {
            mask ??= new Float32Array(B * L * L);
            for (let i = 0; i < L; i++) mask.fill(-1e9, (b * L + i) * L + len, (b * L + i + 1) * L);
          }
        }
      });
    }
    buckets.push({ B, L, toPad, mask });
    base += B * L;
  }
  return { buckets, fromPad };
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
    // Head-major stack [H·R, h] → linear → rows of d_k: ((hd·R + r)·A + a), plus a zero row for padding.
    const stack = (xs: readonly T.Tensor[], i: number): T.Tensor => {
      const x = T.reshape(this.linear_layers.items[i]!.forward(T.concat(xs, 0)), [H * R * A, dk]);
      return mode === 'fixed' ? T.concat([x, T.zeros([1, dk])], 0) : x;
    };
    const [sq, sk, sv] = [stack(qs, 0), stack(ks, 1), stack(vs, 2)];
    const contexts = plan.buckets.map(({ B, L, toPad, mask }) => {
      const gather = (x: T.Tensor): T.Tensor => T.reshape(T.gatherRows(x, toPad), [B, L, dk]);
      let scores = T.mulScalar(T.bmm(gather(sq), gather(sk), { transB: true }), 1 / Math.sqrt(dk));
      if (mask) scores = T.add(scores, T.tensor(mask, [B, L, L]));
      const p = this.drop.forward(T.softmax(T.reshape(scores, [B * L, L])));
      return T.reshape(T.bmm(T.reshape(p, [B, L, L]), gather(sv)), [B * L, dk]);
    });
    // No buckets when nothing has items (a batch without bonds): an empty gather of one zero row.
    const ctx =
      contexts.length === 0 ? T.zeros([1, dk]) : contexts.length === 1 ? contexts[0]! : T.concat(contexts, 0);
    const merged = T.reshape(T.gatherRows(ctx, plan.fromPad), [R * H, h]);
    return T.reshape(this.output_linear.forward(merged), [R, H * h]);
  }
}
