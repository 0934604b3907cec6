// Matrix products: matmul (optionally transposed operands), batched matmul, and the fused linear
// layer y = act(x·Wᵀ + b) with PyTorch's [out, in] weight layout.

import { freshGrad, gradOf, needsGrad, record } from '../autograd.js';
import { kernels } from '../backend.js';
import { shapeError } from '../errors.js';
import { type Activation, activationCode, needsPreActivation } from '../kernels/activation.js';
import { ACT_NONE } from '../kernels/types.js';
import { allocF32 } from '../memory.js';
import { emptyTensor, fmtShape, type Tensor } from '../tensor.js';

function matrixDims(op: string, t: Tensor, name: string): [number, number] {
  if (t.rank !== 2) throw shapeError(op, `${name} must be 2-D, got ${fmtShape(t.shape)}`);
  return [t.shape[0]!, t.shape[1]!];
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** op(A)·op(B) for 2-D tensors; op transposes when asked (no copy is made). */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  a.assertLive('matmul');
  b.assertLive('matmul');
  const [ar, ac] = matrixDims('matmul', a, 'A');
  const [br, bc] = matrixDims('matmul', b, 'B');
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw shapeError(
      'matmul',
      `inner dimensions differ: op(A) is ${m}×${k}, op(B) is ${kb}×${n} (A ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''}, B ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''})`,
    );
  }
  const out = emptyTensor([m, n]);
  const K = kernels();
  K.gemm(transA, transB, m, n, k, 1, a.data, ac, b.data, bc, 0, out.data, n);
  if (!needsGrad(a, b)) return out;
  return record(out, 'matmul', [a, b], (g) => {
    if (a.requiresGrad) {
      const ga = gradOf(a);
      if (!transA) K.gemm(false, !transB, m, k, n, 1, g, n, b.data, bc, 1, ga, k);
      else K.gemm(transB, true, k, m, n, 1, b.data, bc, g, n, 1, ga, m);
    }
    if (b.requiresGrad) {
      const gb = gradOf(b);
      if (!transB) K.gemm(!transA, false, k, n, m, 1, a.data, ac, g, n, 1, gb, n);
      else K.gemm(true, transA, n, k, m, 1, g, n, a.data, ac, 1, gb, k);
    }
  });
}

/** Batched matmul: [B, m, k]·[B, k, n] → [B, m, n] (operands may be transposed per batch). */
export function bmm(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0]) {
    throw shapeError(
      'bmm',
      `needs [B, ·, ·] operands with equal B, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  const B = a.shape[0]!;
  const [ar, ac] = [a.shape[1]!, a.shape[2]!];
  const [br, bc] = [b.shape[1]!, b.shape[2]!];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  if ((transB ? bc : br) !== k) {
    throw shapeError('bmm', `inner dimensions differ for ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const out = emptyTensor([B, m, n]);
  const K = kernels();
  const sa = ar * ac;
  const sb = br * bc;
  const so = m * n;
  for (let i = 0; i < B; i++) {
    K.gemm(
      transA,
      transB,
      m,
      n,
      k,
      1,
      a.data.subarray(i * sa),
      ac,
      b.data.subarray(i * sb),
      bc,
      0,
      out.data.subarray(i * so),
      n,
    );
  }
  if (!needsGrad(a, b)) return out;
  return record(out, 'bmm', [a, b], (g) => {
    const ga = a.requiresGrad ? gradOf(a) : null;
    const gb = b.requiresGrad ? gradOf(b) : null;
    for (let i = 0; i < B; i++) {
      const gi = g.subarray(i * so);
      const ai = a.data.subarray(i * sa);
      const bi = b.data.subarray(i * sb);
      if (ga) {
        const gai = ga.subarray(i * sa);
        if (!transA) K.gemm(false, !transB, m, k, n, 1, gi, n, bi, bc, 1, gai, k);
        else K.gemm(transB, true, k, m, n, 1, bi, bc, gi, n, 1, gai, m);
      }
      if (gb) {
        const gbi = gb.subarray(i * sb);
        if (!transB) K.gemm(!transA, false, k, n, m, 1, ai, ac, gi, n, 1, gbi, n);
        else K.gemm(true, transA, n, k, m, 1, gi, n, ai, ac, 1, gbi, k);
      }
    }
  });
}

/**
 * Fused linear layer: act(x·Wᵀ + b) with x [N, in], W [out, in], b [out] or null. One GEMM, then
 * bias and activation in a single pass; backward forms act'(·)·g once and reuses it for all three
 * gradients.
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null, act: Activation = 'none'): Tensor {
  x.assertLive('linear');
  const [outF, inF] = matrixDims('linear', w, 'weight');
  if (x.rank !== 2 || x.shape[1] !== inF) {
    throw shapeError(
      'linear',
      `input ${fmtShape(x.shape)} does not match weight ${fmtShape(w.shape)} (expected [N, ${inF}])`,
    );
  }
  if (b && (b.rank !== 1 || b.shape[0] !== outF)) {
    throw shapeError('linear', `bias ${fmtShape(b.shape)} does not match weight ${fmtShape(w.shape)}`);
  }
  const n = x.shape[0]!;
  const out = emptyTensor([n, outF]);
  const K = kernels();
  const y = out.data;
  K.gemm(false, true, n, outF, inF, 1, x.data, inF, w.data, inF, 0, y, outF);
  if (b) {
    // One pass adds the bias row to every row (y·1 + b is exactly y + b in float32).
    const ones = allocF32(outF).fill(1);
    K.scaleShiftRows(y, n, outF, ones, b.data, y);
  }
  const grad = needsGrad(x, w, b);
  let pre: Float32Array | null = null;
  if (grad && needsPreActivation(act)) {
    pre = allocF32(y.length);
    pre.set(y);
  }
  const code = activationCode(act);
  if (code !== ACT_NONE) K.activation(code, y, y.length);
  if (!grad) return out;
  const inputs = b ? [x, w, b] : [x, w];
  return record(out, `linear(${act})`, inputs, (g) => {
    let gp = g;
    if (code !== ACT_NONE) {
      gp = allocF32(g.length);
      K.activationBackward(code, g, y, pre ?? EMPTY, gp, g.length);
    }
    if (b?.requiresGrad) K.sumRows(gp, n, outF, gradOf(b));
    if (x.requiresGrad) {
      const fresh = freshGrad(x);
      K.gemm(false, false, n, inF, outF, 1, gp, outF, w.data, inF, fresh ? 0 : 1, x.grad!, inF);
    }
    if (w.requiresGrad) K.gemm(true, false, outF, inF, n, 1, gp, outF, x.data, inF, 1, gradOf(w), inF);
  });
}

const EMPTY = new Float32Array(0);
