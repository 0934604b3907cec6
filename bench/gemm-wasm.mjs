// GEMM throughput of the WebAssembly SIMD backend (1 and 2 threads) against the JS reference kernels,
// on [8000×300]·[300×600] and its transposed variants. Times include the copies into and out of wasm
// memory (that is what callers pay). Reports the best and the median of repeated runs, in GFLOP/s.
// Usage: npm run build && node bench/gemm-wasm.mjs [seconds per case = 2] [m,k,n = 8000,300,600]
import { jsKernels } from '../dist/src/tensor/kernels/js.js';
import { loadWasmKernels } from '../dist/src/tensor/kernels/wasm.js';

const seconds = Number(process.argv[2] ?? 2);
const [m, k, n] = (process.argv[3] ?? '8000,300,600').split(',').map(Number);
const flops = 2 * m * n * k;

const single = loadWasmKernels({ threads: 1 });
const dual = loadWasmKernels({ threads: 2 });
if (!single || !dual) {
  console.log('wasm kernels unavailable (stub binary or no WebAssembly SIMD); run npm run build');
  process.exit(0);
}
await dual.ready();

let seed = 12345;
function random(len) {
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = seed / 2 ** 32 - 0.5;
  }
  return out;
}
const a = random(m * k);
const b = random(k * n);
const c = new Float32Array(m * n);

function time(kernels, transA, transB, budget) {
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const run = () => kernels.gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, n);
  run();
  run();
  const times = [];
  const end = performance.now() + budget * 1000;
  while (times.length < 3 || (performance.now() < end && times.length < 200)) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const gf = (ms) => flops / ms / 1e6;
  return { best: gf(times[0]), median: gf(times[times.length >> 1]) };
}

const rows = [];
for (const [transA, transB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]) {
  const label = `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;
  const js = time(jsKernels, transA, transB, Math.min(seconds, 1));
  const w1 = time(single, transA, transB, seconds);
  const w2 = time(dual, transA, transB, seconds);
  rows.push({ label, js, w1, w2 });
}

const f = (x) => x.toFixed(1).padStart(6);
console.log(`GEMM [${m}×${k}]·[${k}×${n}], GFLOP/s best (median); wasm times include copies in and out`);
console.log('op       js reference       wasm 1 thread      wasm 2 threads');
for (const { label, js, w1, w2 } of rows) {
  console.log(
    `${label.padEnd(8)} ${f(js.best)} (${f(js.median)})  ${f(w1.best)} (${f(w1.median)})  ${f(w2.best)} (${f(w2.median)})`,
  );
}
console.log(`worker chunks run: ${dual.stats.workerChunks} of ${dual.stats.threadedCalls} threaded calls`);
