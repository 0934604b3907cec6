// Pointwise arithmetic with broadcasting (add, sub, mul, div), scalar variants, and unary math.
// Gradients of broadcast operands are summed over the broadcast dimensions.

import { gradOf, needsGrad, passGrad, record } from '../autograd.js';
import { kernels } from '../backend.js';
import { emptyTensor, type Tensor } from '../tensor.js';
import { broadcastKind, broadcastShapes, broadcastStrides, walkBroadcast } from './broadcast.js';

type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

function forward(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  kind: string,
  aS: number[],
  bS: number[],
  outShape: number[],
): void {
  const n = out.length;
  if (kind === 'colB') {
    const w = outShape[outShape.length - 1]!;
    for (let r = 0, o = 0; o < n; r++, o += w) {
      const v = b[r]!;
      switch (op) {
        case 'add':
          for (let j = o; j < o + w; j++) out[j] = a[j]! + v;
          break;
        case 'sub':
          for (let j = o; j < o + w; j++) out[j] = a[j]! - v;
          break;
        case 'mul':
          for (let j = o; j < o + w; j++) out[j] = a[j]! * v;
          break;
        case 'div':
          for (let j = o; j < o + w; j++) out[j] = a[j]! / v;
          break;
      }
    }
    return;
  }
  if (kind === 'same' || kind === 'scalarA' || kind === 'scalarB' || kind === 'rowA' || kind === 'rowB') {
    const la = kind === 'scalarA' ? 1 : kind === 'rowA' ? a.length : n;
    const lb = kind === 'scalarB' ? 1 : kind === 'rowB' ? b.length : n;
    // Modular indexing covers all five fast layouts; the modulus is skipped when lengths match.
    if (la === n && lb === n) {
      switch (op) {
        case 'add':
          for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
          return;
        case 'sub':
          for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
          return;
        case 'mul':
          for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
          return;
        case 'div':
          for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
          return;
      }
    }
    const rows = n / Math.min(la, lb);
    const w = Math.min(la, lb);
    for (let r = 0; r < rows; r++) {
      const o = r * w;
      const oa = la === n ? o : 0;
      const ob = lb === n ? o : 0;
      switch (op) {
        case 'add':
          for (let j = 0; j < w; j++) out[o + j] = a[oa + j]! + b[ob + j]!;
          break;
        case 'sub':
          for (let j = 0; j < w; j++) out[o + j] = a[oa + j]! - b[ob + j]!;
          break;
        case 'mul':
          for (let j = 0; j < w; j++) out[o + j] = a[oa + j]! * b[ob + j]!;
          break;
        case 'div':
          for (let j = 0; j < w; j++) out[o + j] = a[oa + j]! / b[ob + j]!;
          break;
      }
    }
    return;
  }
  const sa = broadcastStrides(aS, outShape);
  const sb = broadcastStrides(bS, outShape);
  switch (op) {
    case 'add':
      walkBroadcast(outShape, sa, sb, (o, ia, ib) => {
        out[o] = a[ia]! + b[ib]!;
      });
      return;
    case 'sub':
      walkBroadcast(outShape, sa, sb, (o, ia, ib) => {
        out[o] = a[ia]! - b[ib]!;
      });
      return;
    case 'mul':
      walkBroadcast(outShape, sa, sb, (o, ia, ib) => {
        out[o] = a[ia]! * b[ib]!;
      });
      return;
    case 'div':
      walkBroadcast(outShape, sa, sb, (o, ia, ib) => {
        out[o] = a[ia]! / b[ib]!;
      });
      return;
  }
}

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  a.assertLive(op);
  b.assertLive(op);
  const outShape = broadcastShapes(op, a.shape, b.shape);
  const out = emptyTensor(outShape);
  const kind = broadcastKind(a.shape, b.shape, outShape, a.size, b.size);
  if (op === 'add' && kind === 'same') kernels().add(a.data, b.data, out.data, out.size);
  else if (op === 'mul' && kind === 'same') kernels().mul(a.data, b.data, out.data, out.size);
  else forward(op, a.data, b.data, out.data, kind, a.shape, b.shape, outShape);
  if (!needsGrad(a, b)) return out;
  return record(out, op, [a, b], (g) => {
    const ad = a.data;
    const bd = b.data;
    const od = out.data;
    const same = kind === 'same';
    if (kind === 'colB') {
      columnBackward(op, g, ad, bd, od, outShape[outShape.length - 1]!, a, b);
      return;
    }
    if (kind === 'rowB') {
      rowBackward(op, g, ad, bd, od, b.size, a, b);
      return;
    }
    const sa = same ? [] : broadcastStrides(a.shape, outShape);
    const sb = same ? [] : broadcastStrides(b.shape, outShape);
    // b before a: once a pass-through gradient has been handed over (passGrad), it is no longer
    // needed here, so the hand-over to a comes last.
    if (b.requiresGrad) {
      if (op === 'add' && same) {
        passGrad(b, g);
      } else {
        const gb = gradOf(b);
        if (same) {
          switch (op) {
            case 'add':
              break;
            case 'sub':
              for (let i = 0; i < g.length; i++) gb[i]! -= g[i]!;
              break;
            case 'mul':
              for (let i = 0; i < g.length; i++) gb[i]! += g[i]! * ad[i]!;
              break;
            case 'div':
              // d(a/b)/db = −(a/b)/b = −out/b
              for (let i = 0; i < g.length; i++) gb[i]! -= (g[i]! * od[i]!) / bd[i]!;
              break;
          }
        } else {
          const visit: (o: number, ia: number, ib: number) => void =
            op === 'add'
              ? (o, _ia, ib) => {
                  gb[ib]! += g[o]!;
                }
              : op === 'sub'
                ? (o, _ia, ib) => {
                    gb[ib]! -= g[o]!;
                  }
                : op === 'mul'
                  ? (o, ia, ib) => {
                      gb[ib]! += g[o]! * ad[ia]!;
                    }
                  : (o, _ia, ib) => {
                      gb[ib]! -= (g[o]! * od[o]!) / bd[ib]!;
                    };
          walkBroadcast(outShape, sa, sb, visit);
        }
      }
    }
    if (a.requiresGrad) {
      if ((op === 'add' || op === 'sub') && same) {
        passGrad(a, g);
        return;
      }
      const ga = gradOf(a);
      if (same) {
        if (op === 'mul') for (let i = 0; i < g.length; i++) ga[i]! += g[i]! * bd[i]!;
        else if (op === 'div') for (let i = 0; i < g.length; i++) ga[i]! += g[i]! / bd[i]!;
        return;
      }
      const visit: (o: number, ia: number, ib: number) => void =
        op === 'add' || op === 'sub'
          ? (o, ia) => {
              ga[ia]! += g[o]!;
            }
          : op === 'mul'
            ? (o, ia, ib) => {
                ga[ia]! += g[o]! * bd[ib]!;
              }
            : (o, ia, ib) => {
                ga[ia]! += g[o]! / bd[ib]!;
              };
      walkBroadcast(outShape, sa, sb, visit);
    }
  });
}

/** Gradients for a [.., n, d] ∘ [.., n, 1] layout: b's row sums the row of a's contributions. */
function columnBackward(
  op: BinaryOp,
  g: Float32Array,
  ad: Float32Array,
  bd: Float32Array,
  od: Float32Array,
  w: number,
  a: Tensor,
  b: Tensor,
): void {
  const n = g.length;
  if (b.requiresGrad) {
    const gb = gradOf(b);
    for (let r = 0, o = 0; o < n; r++, o += w) {
      let s = 0;
      switch (op) {
        case 'add':
          for (let j = o; j < o + w; j++) s += g[j]!;
          break;
        case 'sub':
          for (let j = o; j < o + w; j++) s -= g[j]!;
          break;
        case 'mul':
          for (let j = o; j < o + w; j++) s += g[j]! * ad[j]!;
          break;
        case 'div':
          for (let j = o; j < o + w; j++) s -= (g[j]! * od[j]!) / bd[r]!;
          break;
      }
      gb[r]! += s;
    }
  }
  if (a.requiresGrad) {
    const ga = gradOf(a);
    for (let r = 0, o = 0; o < n; r++, o += w) {
      const v = bd[r]!;
      if (op === 'add' || op === 'sub') for (let j = o; j < o + w; j++) ga[j]! += g[j]!;
      else if (op === 'mul') for (let j = o; j < o + w; j++) ga[j]! += g[j]! * v;
      else for (let j = o; j < o + w; j++) ga[j]! += g[j]! / v;
    }
  }
}

/** Gradients for a [.., d] ∘ [d] layout (bias rows, per-channel weights): b sums over the rows. */
function rowBackward(
  op: BinaryOp,
  g: Float32Array,
  ad: Float32Array,
  bd: Float32Array,
  od: Float32Array,
  w: number,
  a: Tensor,
  b: Tensor,
): void {
  const n = g.length;
  if (b.requiresGrad) {
    const gb = gradOf(b);
    for (let o = 0; o < n; o += w) {
      switch (op) {
        case 'add':
          for (let j = 0; j < w; j++) gb[j]! += g[o + j]!;
          break;
        case 'sub':
          for (let j = 0; j < w; j++) gb[j]! -= g[o + j]!;
          break;
        case 'mul':
          for (let j = 0; j < w; j++) gb[j]! += g[o + j]! * ad[o + j]!;
          break;
        case 'div':
          for (let j = 0; j < w; j++) gb[j]! -= (g[o + j]! * od[o + j]!) / bd[j]!;
          break;
      }
    }
  }
  if (a.requiresGrad) {
    const ga = gradOf(a);
    for (let o = 0; o < n; o += w) {
      if (op === 'add' || op === 'sub') for (let j = 0; j < w; j++) ga[o + j]! += g[o + j]!;
      else if (op === 'mul') for (let j = 0; j < w; j++) ga[o + j]! += g[o + j]! * bd[j]!;
      else for (let j = 0; j < w; j++) ga[o + j]! += g[o + j]! / bd[j]!;
    }
  }
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binary('div', a, b);

/** a·s + t elementwise (scale and shift by constants). */
export function affine(x: Tensor, scale: number, shift = 0): Tensor {
  x.assertLive('affine');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < od.length; i++) od[i] = xd[i]! * scale + shift;
  if (!needsGrad(x)) return out;
  return record(out, 'affine', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i]! += g[i]! * scale;
  });
}

export const mulScalar = (x: Tensor, s: number): Tensor => affine(x, s, 0);
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);
export const neg = (x: Tensor): Tensor => affine(x, -1, 0);

/** Sum of any number of same-shape tensors in one pass (residual sums, embedding sums). */
export function addN(xs: readonly Tensor[]): Tensor {
  const first = xs[0];
  if (!first) throw new RangeError('addN: needs at least one tensor');
  for (const x of xs) {
    x.assertLive('addN');
    if (x.size !== first.size || x.rank !== first.rank || x.shape.some((d, i) => d !== first.shape[i])) {
      return xs.slice(1).reduce((acc, x2) => add(acc, x2), first);
    }
  }
  const out = emptyTensor(first.shape);
  const od = out.data;
  const K = kernels();
  if (xs.length === 1) od.set(first.data);
  else K.add(first.data, xs[1]!.data, od, od.length);
  for (let k = 2; k < xs.length; k++) K.accumulate(od, xs[k]!.data, od.length);
  if (!gradNeeded(xs)) return out;
  return record(out, 'addN', xs, (g) => {
    for (const x of xs) if (x.requiresGrad) passGrad(x, g);
  });
}

function gradNeeded(xs: readonly Tensor[]): boolean {
  for (const x of xs) if (needsGrad(x)) return true;
  return false;
}
