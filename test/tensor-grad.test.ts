// Every op of the engine against finite differences (gradcheck), including broadcast layouts,
// empty segments and single rows.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../src/tensor/index.js';
import { gradcheck, randAwayFromZero, randTensor } from './helpers/gradcheck.js';

const rng = new T.Rng(2024);
const r = (...shape: number[]): T.Tensor => randTensor(rng, shape);
const pos = (...shape: number[]): T.Tensor => randTensor(rng, shape, 0.5, 2);
const kinkFree = (...shape: number[]): T.Tensor => randAwayFromZero(rng, shape);
const idx = (...v: number[]): Int32Array => Int32Array.from(v);

test('matmul in all transpose combinations', () => {
  gradcheck('matmul', ([a, b]) => T.matmul(a!, b!), [r(3, 4), r(4, 5)]);
  gradcheck('matmul Aᵀ', ([a, b]) => T.matmul(a!, b!, { transA: true }), [r(4, 3), r(4, 5)]);
  gradcheck('matmul Bᵀ', ([a, b]) => T.matmul(a!, b!, { transB: true }), [r(3, 4), r(5, 4)]);
  gradcheck('matmul AᵀBᵀ', ([a, b]) => T.matmul(a!, b!, { transA: true, transB: true }), [r(4, 3), r(5, 4)]);
  gradcheck('matmul 1×1', ([a, b]) => T.matmul(a!, b!), [r(1, 1), r(1, 1)]);
});

test('bmm', () => {
  gradcheck('bmm', ([a, b]) => T.bmm(a!, b!), [r(2, 3, 4), r(2, 4, 2)]);
  gradcheck('bmm Bᵀ', ([a, b]) => T.bmm(a!, b!, { transB: true }), [r(2, 3, 4), r(2, 5, 4)]);
  gradcheck('bmm Aᵀ', ([a, b]) => T.bmm(a!, b!, { transA: true }), [r(2, 4, 3), r(2, 4, 5)]);
});

test('linear with bias and each fused activation', () => {
  for (const act of T.ACTIVATIONS) {
    const x = act === 'relu' ? kinkFree(4, 3) : r(4, 3);
    gradcheck(`linear ${act}`, ([xx, w, b]) => T.linear(xx!, w!, b!, act), [x, r(5, 3), r(5)]);
  }
  gradcheck('linear no bias', ([x, w]) => T.linear(x!, w!), [r(2, 3), r(4, 3)]);
});

test('broadcast arithmetic', () => {
  for (const op of [T.add, T.sub, T.mul]) {
    gradcheck(`${op.name} same`, ([a, b]) => op(a!, b!), [r(3, 4), r(3, 4)]);
    gradcheck(`${op.name} row`, ([a, b]) => op(a!, b!), [r(3, 4), r(4)]);
    gradcheck(`${op.name} row left`, ([a, b]) => op(a!, b!), [r(1, 4), r(3, 4)]);
    gradcheck(`${op.name} column`, ([a, b]) => op(a!, b!), [r(3, 4), r(3, 1)]);
    gradcheck(`${op.name} scalar`, ([a, b]) => op(a!, b!), [r(3, 4), r(1)]);
    gradcheck(`${op.name} outer`, ([a, b]) => op(a!, b!), [r(3, 1), r(1, 4)]);
    gradcheck(`${op.name} 3-D`, ([a, b]) => op(a!, b!), [r(2, 3, 4), r(3, 1)]);
  }
  gradcheck('div same', ([a, b]) => T.div(a!, b!), [r(3, 4), pos(3, 4)]);
  gradcheck('div column', ([a, b]) => T.div(a!, b!), [r(3, 4), pos(3, 1)]);
  gradcheck('div scalar numerator', ([a, b]) => T.div(a!, b!), [r(1), pos(2, 3)]);
  gradcheck('affine', ([a]) => T.affine(a!, -1.5, 0.25), [r(3, 2)]);
  gradcheck('addN', ([a, b, c]) => T.addN([a!, b!, c!]), [r(3, 2), r(3, 2), r(3, 2)]);
});

test('broadcast: the column and row fast paths equal the same ops on b tiled to a full matrix', () => {
  // [5, 7] ∘ [5, 1] (column) and [5, 7] ∘ [7] (row) take tight loops; the reference tiles b to
  // [5, 7] (the elementwise path) and sums the tiled gradient back over the broadcast axis.
  const rows = 5;
  const cols = 7;
  for (const op of [T.add, T.sub, T.mul, T.div]) {
    for (const column of [true, false]) {
      const a = r(rows, cols);
      const b = column ? pos(rows, 1) : pos(cols);
      const bAt = (i: number, j: number): number => b.data[column ? i : j]!;
      const w = T.tensor(
        Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i + 1)),
        [rows, cols],
      );
      const x = T.tensor(a.data.slice(), [rows, cols], true);
      const y = T.tensor(b.data.slice(), b.shape, true);
      const out = op(x, y);
      T.backward(T.sum(T.mul(out, w)));
      const x2 = T.tensor(a.data.slice(), [rows, cols], true);
      const tiled = T.tensor(
        Float32Array.from({ length: rows * cols }, (_, k) => bAt(Math.floor(k / cols), k % cols)),
        [rows, cols],
        true,
      );
      const ref = op(x2, tiled);
      T.backward(T.sum(T.mul(ref, w)));
      const gbRef = new Float64Array(b.size);
      for (let k = 0; k < rows * cols; k++)
        gbRef[column ? Math.floor(k / cols) : k % cols]! += tiled.grad![k]!;
      const close = (u: number, v: number): boolean => Math.abs(u - v) <= 1e-5 * (1 + Math.abs(v));
      const what = `${op.name} ${column ? 'column' : 'row'}`;
      for (let k = 0; k < rows * cols; k++) {
        assert.ok(close(out.data[k]!, ref.data[k]!), `${what} out[${k}]`);
        assert.ok(close(x.grad![k]!, x2.grad![k]!), `${what} grad a[${k}]`);
      }
      for (let k = 0; k < b.size; k++) assert.ok(close(y.grad![k]!, gbRef[k]!), `${what} grad b[${k}]`);
    }
  }
});

test('unary math and activations', () => {
  gradcheck('exp', ([x]) => T.exp(x!), [r(3, 4)]);
  gradcheck('log', ([x]) => T.log(x!), [pos(3, 4)]);
  gradcheck('sqrt', ([x]) => T.sqrt(x!), [pos(3, 4)]);
  gradcheck('square', ([x]) => T.square(x!), [r(3, 4)]);
  gradcheck('sigmoid', ([x]) => T.sigmoid(x!), [r(3, 4)]);
  gradcheck('tanh', ([x]) => T.tanh(x!), [r(3, 4)]);
  gradcheck('relu', ([x]) => T.relu(x!), [kinkFree(3, 4)]);
  gradcheck('leakyRelu', ([x]) => T.leakyRelu(x!, 0.2), [kinkFree(3, 4)]);
  gradcheck('gelu', ([x]) => T.gelu(x!), [randTensor(rng, [3, 4], -3, 3)]);
  gradcheck('softplus', ([x]) => T.softplus(x!), [randTensor(rng, [3, 4], -3, 3)]);
  gradcheck('softplus beta', ([x]) => T.softplus(x!, 2, 3), [kinkFree(3, 4)]);
  gradcheck('prelu shared', ([x, w]) => T.prelu(x!, w!), [kinkFree(3, 4), T.tensor([0.25])]);
  gradcheck('prelu per channel', ([x, w]) => T.prelu(x!, w!), [kinkFree(3, 4), r(4)]);
});

test('reductions along axes and over everything', () => {
  gradcheck('sum all', ([x]) => T.sum(x!), [r(3, 4)]);
  gradcheck('mean all', ([x]) => T.mean(x!), [r(3, 4)]);
  gradcheck('sum axis 0', ([x]) => T.sum(x!, 0), [r(3, 4)]);
  gradcheck('sum axis 1 keepdim', ([x]) => T.sum(x!, 1, true), [r(3, 4)]);
  gradcheck('mean axis -1', ([x]) => T.mean(x!, -1), [r(2, 3, 4)]);
  gradcheck('mean middle axis', ([x]) => T.mean(x!, 1), [r(2, 3, 4)]);
  gradcheck('max all', ([x]) => T.max(x!), [r(3, 4)]);
  gradcheck('max axis 0', ([x]) => T.max(x!, 0), [r(3, 4)]);
  gradcheck('max axis 1', ([x]) => T.max(x!, 1, true), [r(2, 3, 4)]);
});

test('concat, slice, reshape, transpose', () => {
  gradcheck('concat axis 0', ([a, b]) => T.concat([a!, b!], 0), [r(2, 3), r(4, 3)]);
  gradcheck('concat axis 1', ([a, b, c]) => T.concat([a!, b!, c!], 1), [r(2, 3), r(2, 1), r(2, 2)]);
  gradcheck('slice rows', ([x]) => T.slice(x!, 0, 1, 3), [r(4, 3)]);
  gradcheck('slice columns', ([x]) => T.slice(x!, 1, 1, 2), [r(4, 3)]);
  gradcheck('reshape', ([x]) => T.mul(T.reshape(x!, [3, -1]), T.reshape(x!, [3, 4])), [r(2, 6)]);
  gradcheck('transpose', ([x]) => T.transpose(x!), [r(3, 5)]);
});

test('gather, scatter and segment ops (with empty segments and a single row)', () => {
  gradcheck('gatherRows', ([x]) => T.gatherRows(x!, idx(2, 0, 2, 1)), [r(3, 4)]);
  gradcheck('gatherRows 1-D', ([x]) => T.gatherRows(x!, idx(1, 1)), [r(3)]);
  gradcheck('scatterAdd', ([x]) => T.scatterAdd(x!, idx(0, 3, 0, 1), 5), [r(4, 2)]);
  gradcheck('gatherScatter', ([x]) => T.gatherScatter(x!, idx(0, 2, 2, 1, 0), idx(3, 0, 3, 3, 1), 5), [
    r(3, 4),
  ]);
  gradcheck('gatherScatter table', ([x]) => T.gatherScatter(x!, idx(1, 1, 0), idx(0, 1, 1), 2), [r(2, 3)]);
  gradcheck('segmentMean', ([x]) => T.segmentMean(x!, idx(0, 0, 2, 2, 2), 4), [r(5, 3)]);
  gradcheck('segmentMax', ([x]) => T.segmentMax(x!, idx(1, 1, 0, 1), 3), [r(4, 3)]);
  gradcheck('segmentSoftmax 1-D', ([x]) => T.segmentSoftmax(x!, idx(0, 0, 1, 0, 3), 4), [r(5)]);
  gradcheck('segmentSoftmax heads', ([x]) => T.segmentSoftmax(x!, idx(2, 0, 2, 2), 3), [r(4, 2)]);
  gradcheck('single row', ([x]) => T.segmentSum(x!, idx(0), 1), [r(1, 3)]);
  gradcheck('embedding', ([w]) => T.embedding(w!, idx(3, 1, 3)), [r(4, 2)]);
});

test('normalisation layers', () => {
  gradcheck('layerNorm affine', ([x, g, b]) => T.layerNorm(x!, g!, b!), [r(3, 5), r(5), r(5)], { eps: 1e-2 });
  gradcheck('layerNorm plain', ([x]) => T.layerNorm(x!, null, null), [r(2, 4)], { eps: 1e-2 });
  const state = (): T.BatchNormState => T.batchNormState(3);
  gradcheck('batchNorm train', ([x, g, b]) => T.batchNorm(x!, g!, b!, state(), true), [r(5, 3), r(3), r(3)], {
    eps: 1e-2,
  });
  const evalState = T.batchNormState(3);
  evalState.runningMean.set([0.1, -0.2, 0.3]);
  evalState.runningVar.set([0.5, 1.5, 2]);
  gradcheck('batchNorm eval', ([x, g, b]) => T.batchNorm(x!, g!, b!, evalState, false), [
    r(4, 3),
    r(3),
    r(3),
  ]);
});

test('dropout (fixed mask from a fixed seed)', () => {
  gradcheck('dropout', ([x]) => T.dropout(x!, 0.3, new T.Rng(5), true), [r(4, 5)]);
});

test('losses', () => {
  const y = Float32Array.from([1, 0, Number.NaN, 1, 0, 1]);
  gradcheck('bce', ([x]) => T.bceWithLogits(x!, y), [randTensor(rng, [2, 3], -3, 3)]);
  gradcheck('bce posWeight', ([x]) => T.bceWithLogits(x!, y, { posWeight: Float32Array.from([2, 0.5, 3]) }), [
    r(2, 3),
  ]);
  gradcheck(
    'bce mask sum',
    ([x]) => T.bceWithLogits(x!, y, { mask: Float32Array.from([1, 1, 1, 0, 1, 1]), reduction: 'sum' }),
    [r(2, 3)],
  );
  gradcheck('bce none', ([x]) => T.bceWithLogits(x!, y, { reduction: 'none' }), [r(2, 3)]);
  const t = Float32Array.from([0.5, -1, 2, Number.NaN, 0, 1]);
  gradcheck('mse', ([x]) => T.mse(x!, t), [r(2, 3)]);
  gradcheck(
    'l1',
    ([x]) =>
      T.l1(
        x!,
        T.tensor(
          t.map((v) => v + 0.37),
          [2, 3],
        ),
      ),
    [r(2, 3)],
  );
  gradcheck('softmax', ([x]) => T.softmax(x!), [r(3, 4)]);
  gradcheck('logSoftmax', ([x]) => T.logSoftmax(x!), [r(3, 4)]);
  gradcheck('crossEntropy', ([x]) => T.crossEntropy(x!, idx(2, -100, 0)), [r(3, 4)]);
  gradcheck('crossEntropy sum', ([x]) => T.crossEntropy(x!, idx(2, 1, 0), { reduction: 'sum' }), [r(3, 4)]);
  gradcheck('crossEntropy none', ([x]) => T.crossEntropy(x!, idx(1, 3, 0), { reduction: 'none' }), [r(3, 4)]);
  gradcheck('nllLoss', ([x]) => T.nllLoss(T.logSoftmax(x!), idx(3, 0, -1), { ignoreIndex: -1 }), [r(3, 4)]);
});

test('a composite graph reuses tensors and accumulates gradients', () => {
  gradcheck(
    'composite',
    ([x, w1, w2]) => {
      const h = T.linear(x!, w1!, null, 'tanh');
      const m = T.gatherRows(h, idx(0, 1, 2, 1));
      const agg = T.scatterAdd(
        T.add(m, h.shape[0] === 3 ? T.gatherRows(h, idx(1, 2, 0, 0)) : m),
        idx(0, 0, 1, 2),
        3,
      );
      return T.linear(T.add(agg, h), w2!, null, 'sigmoid');
    },
    [r(3, 4), r(5, 4), r(2, 5)],
  );
});
