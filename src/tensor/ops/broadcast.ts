// NumPy-style broadcasting of two shapes, and the strided walk over the broadcast result that both
// the forward kernels and the gradient reductions (sum over broadcast dimensions) use.

import { shapeError } from '../errors.js';
import { fmtShape, type Shape } from '../tensor.js';

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw shapeError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dimension ${i})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `shape` seen through the broadcast `out` shape (0 along broadcast dims). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const rank = out.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = rank - shape.length + i;
    strides[oi] = shape[i] === 1 && out[oi] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Calls visit(o, ia, ib) for every flat output index o with the matching flat indices of a and b.
 * The innermost dimension runs as a tight loop inside `visit` callers via the returned plan when
 * possible; this generic walk is the reference path.
 */
export function walkBroadcast(
  out: Shape,
  sa: readonly number[],
  sb: readonly number[],
  visit: (o: number, ia: number, ib: number) => void,
): void {
  const rank = out.length;
  let total = 1;
  for (const d of out) total *= d;
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    visit(o, ia, ib);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < out[d]!) break;
      ia -= sa[d]! * out[d]!;
      ib -= sb[d]! * out[d]!;
      idx[d] = 0;
    }
  }
}

export type BroadcastKind = 'same' | 'scalarB' | 'scalarA' | 'rowB' | 'rowA' | 'colB' | 'general';

/**
 * Recognizes the layouts that get tight loops: equal shapes, a scalar side, a trailing-row side,
 * and a per-row column on the right ([…, n, d] with […, n, 1]: degree normalization, row norms).
 */
export function broadcastKind(a: Shape, b: Shape, out: Shape, sizeA: number, sizeB: number): BroadcastKind {
  let outSize = 1;
  for (const d of out) outSize *= d;
  if (sizeA === outSize && sizeB === outSize && a.length === b.length) return 'same';
  if (sizeB === 1 && sizeA === outSize) return 'scalarB';
  if (sizeA === 1 && sizeB === outSize) return 'scalarA';
  const last = out[out.length - 1] ?? 1;
  if (sizeA === outSize && sizeB === last && isTrailingRow(b)) return 'rowB';
  if (sizeB === outSize && sizeA === last && isTrailingRow(a)) return 'rowA';
  if (sizeA === outSize && last > 1 && isColumnOf(b, out)) return 'colB';
  return 'general';
}

/** s equals out except for a trailing 1 in place of out's last dimension. */
function isColumnOf(s: Shape, out: Shape): boolean {
  if (s.length !== out.length || s[s.length - 1] !== 1) return false;
  for (let i = 0; i < s.length - 1; i++) if (s[i] !== out[i]) return false;
  return true;
}

function isTrailingRow(s: Shape): boolean {
  for (let i = 0; i < s.length - 1; i++) if (s[i] !== 1) return false;
  return true;
}
