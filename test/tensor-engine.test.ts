// Engine behaviour beyond single-op gradients: the JS GEMM against the reference on awkward shapes,
// tidy scopes and the buffer pool, autograd bookkeeping, the PRNG, backend selection, determinism.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../src/tensor/index.js';
import { gemmBlocked, gemmReference } from '../src/tensor/kernels/js.js';
import { Adam } from '../src/tensor/optim/index.js';
import { randTensor } from './helpers/gradcheck.js';

function randArray(rng: T.Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

test('blocked JS gemm equals the reference on edge shapes, transposes, strides, alpha/beta', () => {
  const rng = new T.Rng(11);
  const shapes = [
    [0, 3, 4],
    [3, 0, 4],
    [3, 4, 0],
    [1, 1, 1],
    [7, 13, 5],
    [1, 300, 1],
    [33, 17, 65],
    [6, 16, 8],
  ];
  for (const [m, n, k] of shapes as [number, number, number][]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [alpha, beta, pad] of [
          [1, 0, 0],
          [0.5, 1.5, 3],
          [-2, 0, 1],
        ] as [number, number, number][]) {
          const lda = (transA ? m : k) + pad;
          const ldb = (transB ? k : n) + pad;
          const ldc = n + pad;
          const a = randArray(rng, Math.max(1, (transA ? k : m) * lda));
          const b = randArray(rng, Math.max(1, (transB ? n : k) * ldb));
          const c0 = randArray(rng, Math.max(1, m * ldc));
          if (beta === 0) c0.fill(Number.NaN);
          const c1 = c0.slice();
          const c2 = c0.slice();
          gemmReference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc);
          gemmBlocked(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const x = c1[i * ldc + j]!;
              const y = c2[i * ldc + j]!;
              assert.ok(
                Math.abs(x - y) <= 1e-5 * Math.sqrt(k + 1) * (1 + Math.abs(x)),
                `${m}×${n}×${k} ${transA}/${transB}: ${x} vs ${y}`,
              );
            }
          }
        }
      }
    }
  }
});

test('tidy releases intermediates, keeps results, and reuses pooled buffers', () => {
  T.clearPool();
  const w = T.tensor(new Float32Array(64).fill(0.5), [8, 8]);
  let inner: T.Tensor | null = null;
  const out = T.tidy(() => {
    const x = T.ones([16, 8]);
    inner = T.matmul(x, w);
    return T.relu(inner);
  });
  assert.equal(out.disposed, false);
  assert.equal(out.data[0], 4);
  assert.equal(inner!.disposed, true);
  assert.throws(() => inner!.item(), /released at the end of its tidy scope/);
  assert.ok(T.pooledBytes() > 0);
  // After one warm-up step, repeating it takes every buffer from the pool instead of growing it.
  const step = (): number => T.tidy(() => T.sum(T.relu(T.matmul(T.ones([16, 8]), w))).item());
  step();
  const before = T.pooledBytes();
  for (let i = 0; i < 5; i++) step();
  assert.equal(T.pooledBytes(), before, 'pool did not grow over repeated identical steps');
});

test('a view returned from tidy keeps its base alive', () => {
  const r = T.tidy(() => T.reshape(T.full([2, 3], 2), [3, 2]));
  assert.equal(r.disposed, false);
  assert.deepEqual(r.toArray(), [2, 2, 2, 2, 2, 2]);
});

test('gradients accumulate on leaves across backward calls; the graph is freed after backward', () => {
  const x = T.tensor([1, 2, 3], [3], true);
  const y = T.sum(T.square(x));
  T.backward(y);
  assert.deepEqual(Array.from(x.grad!), [2, 4, 6]);
  T.backward(T.sum(T.square(x)));
  assert.deepEqual(Array.from(x.grad!), [4, 8, 12]);
  assert.throws(() => T.backward(y), /already used by an earlier backward/);
});

test('noGrad records nothing', () => {
  const x = T.tensor([1, 2], [2], true);
  const y = T.noGrad(() => T.mul(x, x));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, null);
  assert.equal(T.isGradEnabled(), true);
});

test('errors name the op and the shapes', () => {
  assert.throws(() => T.matmul(T.zeros([2, 3]), T.zeros([2, 3])), /matmul: inner dimensions differ/);
  assert.throws(
    () => T.add(T.zeros([2, 3]), T.zeros([4])),
    /add: shapes \[2, 3\] and \[4\] do not broadcast/,
  );
  assert.throws(
    () => T.gatherRows(T.zeros([3, 2]), Int32Array.from([0, 3])),
    /index\[1\] = 3 is outside \[0, 3\)/,
  );
  assert.throws(() => T.embedding(T.zeros([3, 2]), Int32Array.from([-1])), /embedding: index\[0\] = -1/);
  assert.throws(() => T.crossEntropy(T.zeros([2, 3]), Int32Array.from([0, 5])), /target\[1\] = 5/);
  assert.throws(() => T.batchNorm(T.zeros([1, 3]), null, null, T.batchNormState(3), true), /more than 1 row/);
});

test('Rng: reproducible streams, bounded ints, moments of normal(), state round trip', () => {
  const a = new T.Rng(42);
  const b = new T.Rng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextUint32(), b.nextUint32());
  assert.notEqual(new T.Rng(1).nextUint32(), new T.Rng(2).nextUint32());
  const r = new T.Rng(3);
  let s = 0;
  let s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
    const k = r.int(7);
    assert.ok(k >= 0 && k < 7 && Number.isInteger(k));
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  const st = r.getState();
  const x1 = [r.normal(), r.float(), r.nextUint32()];
  r.setState(st);
  assert.deepEqual([r.normal(), r.float(), r.nextUint32()], x1);
});

test('backend: MOLGROVE_BACKEND values are validated, js can always be forced', () => {
  assert.equal(T.setBackend('js').name, 'js');
  assert.throws(() => T.setBackend('cuda' as T.BackendName), /unknown backend "cuda"/);
  assert.equal(T.tryBackend('js')?.name, 'js');
});

/** A small two-layer model trained a few steps with dropout and Adam; returns every parameter bit. */
function trainTiny(seed: number): Uint32Array {
  const rng = new T.Rng(seed);
  const w1 = T.linearWeight('w1', 8, 5, rng);
  const b1 = T.linearBias('b1', 8, 5, rng);
  const w2 = T.linearWeight('w2', 3, 8, rng);
  const params = [w1, b1, w2];
  const opt = new Adam(params, { lr: 0.01 });
  const x = randTensor(rng, [16, 5]);
  const y = Float32Array.from({ length: 48 }, (_, i) => (i % 5 === 0 ? Number.NaN : i % 2));
  for (let step = 0; step < 5; step++) {
    T.tidy(() => {
      opt.zeroGrad();
      const h = T.dropout(T.linear(x, w1, b1, 'relu'), 0.3, rng, true);
      const loss = T.bceWithLogits(T.linear(h, w2), y);
      T.backward(loss);
      opt.step();
    });
  }
  const all = new Float32Array(params.reduce((n, p) => n + p.size, 0));
  let o = 0;
  for (const p of params) {
    all.set(p.data, o);
    o += p.size;
  }
  return new Uint32Array(all.buffer);
}

test('a training step allocates no new buffers after warm-up', () => {
  const rng = new T.Rng(4);
  const w1 = T.linearWeight('w1', 16, 8, rng);
  const b1 = T.linearBias('b1', 16, 8, rng);
  const w2 = T.linearWeight('w2', 2, 16, rng);
  const gamma = T.constantParam('g', [16], 1);
  const beta = T.constantParam('b', [16], 0);
  const bn = T.batchNormState(16);
  const opt = new Adam([w1, b1, w2, gamma, beta], { lr: 1e-3 });
  const x = randTensor(rng, [10, 8]);
  const src = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 3]);
  const dst = Int32Array.from([1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 0, 0]);
  const graph = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
  const y = Float32Array.from([1, 0, 0, Number.NaN, 1, 1]);
  const step = (): void =>
    T.tidy(() => {
      opt.zeroGrad();
      let h = T.linear(x, w1, b1, 'relu');
      h = T.add(h, T.scatterAdd(T.gatherRows(h, src), dst, 10));
      h = T.dropout(T.relu(T.batchNorm(h, gamma, beta, bn, true)), 0.2, rng, true);
      T.backward(T.bceWithLogits(T.linear(T.segmentMean(h, graph, 3), w2), y));
      opt.step();
    });
  step();
  step();
  const before = T.poolStats();
  for (let i = 0; i < 5; i++) step();
  const after = T.poolStats();
  assert.equal(after.freshCount, before.freshCount, 'steps after warm-up created new buffers');
  assert.equal(after.pooledBytes, before.pooledBytes);
});

test('determinism: the same seed gives bit-identical parameters after training, on every backend', () => {
  const initial = T.backendName();
  try {
    for (const name of ['js', 'wasm', 'native'] as const) {
      if (!T.tryBackend(name)) continue;
      T.setBackend(name);
      const a = trainTiny(9);
      const b = trainTiny(9);
      assert.deepEqual(a, b, `${name}: two runs with seed 9 differ`);
      assert.notDeepEqual(trainTiny(10), a, `${name}: seeds 9 and 10 agree`);
    }
  } finally {
    T.setBackend(initial);
  }
});
