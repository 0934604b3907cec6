// GEMM throughput of the native kernels (own AVX2 GEMM; optionally an OpenBLAS build of the same addon)
// and the JS reference on the GIN layer shapes, on 1 and 2 threads, against this CPU's flop peak.
//
//   npm run build && npm run build:native && node bench/gemm.mjs [--quick] [--no-js] [--openblas=PATH]
//
// --openblas=PATH (or MOLGROVE_BENCH_OPENBLAS=PATH) points at a molgrove_native.node built with
// MOLGROVE_NATIVE_BLAS=openblas (copy it away before rebuilding the default addon). --quick runs fewer
// repetitions; --no-js skips the (slow) JS reference. Timings: warm-up calls, then the median of reps.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { jsKernels } from '../dist/src/tensor/kernels/js.js';
import { loadNativeKernels, nativeInfo, setNativeThreads } from '../dist/src/tensor/kernels/native.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noJs = args.includes('--no-js');
const openblasPath =
  args.find((a) => a.startsWith('--openblas='))?.slice('--openblas='.length) ??
  process.env.MOLGROVE_BENCH_OPENBLAS;

const require = createRequire(import.meta.url);
const native = loadNativeKernels();
if (!native) {
  console.error('bench/gemm: the native addon is not built (npm run build:native)');
  process.exit(1);
}
const addon = require(fileURLToPath(new URL('../build/Release/molgrove_native.node', import.meta.url)));
let blas = null;
if (openblasPath) {
  if (!existsSync(openblasPath)) {
    console.error(`bench/gemm: ${openblasPath} does not exist`);
    process.exit(1);
  }
  blas = require(openblasPath);
  if (blas.info().blas === null) {
    console.error(`bench/gemm: ${openblasPath} was built without OpenBLAS`);
    process.exit(1);
  }
}

// ----- CPU and peak -----
function cpuClockMHz() {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const max = out.match(/CPU max MHz:\s*([\d.]+)/);
    if (max) return { mhz: Number(max[1]), source: 'lscpu "CPU max MHz"' };
  } catch {
    // no lscpu: fall through to /proc/cpuinfo
  }
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const mhz = info.match(/cpu MHz\s*:\s*([\d.]+)/);
    if (mhz) return { mhz: Number(mhz[1]), source: '/proc/cpuinfo "cpu MHz"' };
  } catch {
    // not Linux
  }
  return null;
}
function cpuModel() {
  try {
    return (
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/model name\s*:\s*(.+)/)?.[1]
        ?.trim() ?? 'unknown CPU'
    );
  } catch {
    return 'unknown CPU';
  }
}

const clock = cpuClockMHz();
// 2 FMA pipes x 8 float lanes (256-bit) x 2 flops per FMA per cycle.
const nominalPeak = clock ? (2 * 8 * 2 * clock.mhz) / 1000 : null;
// Best of a few runs: a busy machine can only make the loop slower, never faster.
const measuredPeak =
  typeof addon._peakGflops === 'function'
    ? Math.max(addon._peakGflops(), addon._peakGflops(), addon._peakGflops())
    : null;
const peak1 = measuredPeak ?? nominalPeak;

// ----- timing -----
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Times several implementations of the same call in alternating blocks (A, B, A, B), so background load
// on a shared machine hits them alike without their thread pools overlapping: OpenBLAS's workers keep
// spinning for a while after each call, so each block starts after a short pause. Returns GFLOP/s from
// the median and from the best rep of each implementation.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function pause(ms) {
  Atomics.wait(sleepCell, 0, 0, ms);
}
function timeGflops(fns, flops, { warmup, minReps, minMs }) {
  const rounds = 2;
  const times = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      if (fns.length > 1) pause(150);
      for (let w = 0; w < warmup; w++) fn();
      const start = performance.now();
      const reps0 = times[i].length;
      while (
        times[i].length - reps0 < Math.ceil(minReps / rounds) ||
        performance.now() - start < minMs / rounds
      ) {
        const t0 = performance.now();
        fn();
        times[i].push(performance.now() - t0);
        if (times[i].length - reps0 >= 100) break;
      }
    });
  }
  return times.map((ts) => ({
    median: flops / (median(ts) / 1000) / 1e9,
    best: flops / (Math.min(...ts) / 1000) / 1e9,
  }));
}

function randomArray(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

// ----- cases: the GIN layer [8000x300]·[300x600] (batch of ~8000 atoms), its backward, and batch 32 -----
const cases = [
  { name: 'fwd  Y = X·W', m: 8000, n: 600, k: 300, ta: false, tb: false },
  { name: 'fwd  (A,B stored transposed)', m: 8000, n: 600, k: 300, ta: true, tb: true },
  { name: 'fwd  (A stored transposed)', m: 8000, n: 600, k: 300, ta: true, tb: false },
  { name: 'fwd  (B stored transposed)', m: 8000, n: 600, k: 300, ta: false, tb: true },
  { name: 'bwd  dX = dY·Wᵀ', m: 8000, n: 300, k: 600, ta: false, tb: true },
  { name: 'bwd  dW = Xᵀ·dY', m: 300, n: 600, k: 8000, ta: true, tb: false },
  { name: 'b32  Y = X·W', m: 600, n: 600, k: 300, ta: false, tb: false },
  { name: 'b32  dX = dY·Wᵀ', m: 600, n: 300, k: 600, ta: false, tb: true },
  { name: 'b32  dW = Xᵀ·dY', m: 300, n: 600, k: 600, ta: true, tb: false },
];

const info = nativeInfo();
console.log(`CPU: ${cpuModel()}, ${info.threads} threads available; native simd=${info.simd}`);
if (nominalPeak) {
  console.log(
    `Peak estimate (1 core): 2 FMA x 8 lanes x 2 flops x ${(clock.mhz / 1000).toFixed(2)} GHz (${clock.source}) ` +
      `= ${nominalPeak.toFixed(1)} GFLOP/s -- an estimate: turbo clocks run higher`,
  );
}
if (measuredPeak) {
  console.log(
    `Measured FMA peak (1 core, 12 independent AVX2 FMA chains): ${measuredPeak.toFixed(1)} GFLOP/s ` +
      `(~${(measuredPeak / 32).toFixed(2)} GHz effective); "%peak" below is relative to this x threads`,
  );
}
console.log('');

const header = [
  'case',
  'op(A)·op(B)',
  'thr',
  'native',
  '(best)',
  '%peak',
  'openblas',
  '(best)',
  'nat/blas',
  'js',
];
const rows = [];
for (const c of cases) {
  const lda = c.ta ? c.m : c.k;
  const ldb = c.tb ? c.k : c.n;
  const a = randomArray(c.m * c.k, 1);
  const b = randomArray(c.k * c.n, 2);
  const out = new Float32Array(c.m * c.n);
  const flops = 2 * c.m * c.n * c.k;
  const big = flops > 1e9;
  const opts = quick
    ? { warmup: 1, minReps: 3, minMs: 150 }
    : { warmup: big ? 2 : 5, minReps: big ? 9 : 21, minMs: big ? 1000 : 500 };
  const run = (k) => () => k.gemm(c.ta, c.tb, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, out, c.n);
  let jsG = null;
  if (!noJs) [jsG] = timeGflops([run(jsKernels)], flops, { warmup: 1, minReps: quick ? 1 : 3, minMs: 0 });
  for (const threads of [1, 2]) {
    setNativeThreads(threads);
    if (blas) blas.setNumThreads(threads);
    const [nat, bl] = timeGflops(blas ? [run(native), run(blas)] : [run(native)], flops, opts);
    rows.push([
      threads === 1 ? c.name : '',
      threads === 1 ? `${c.m}x${c.k}·${c.k}x${c.n} ${c.ta ? 'T' : 'N'}${c.tb ? 'T' : 'N'}` : '',
      String(threads),
      nat.median.toFixed(1),
      `(${nat.best.toFixed(1)})`,
      peak1 ? `${((100 * nat.median) / (peak1 * threads)).toFixed(0)}%` : '-',
      bl ? bl.median.toFixed(1) : '-',
      bl ? `(${bl.best.toFixed(1)})` : '',
      bl ? `${((100 * nat.median) / bl.median).toFixed(0)}%` : '-',
      threads === 1 && jsG !== null ? jsG.median.toFixed(2) : '',
    ]);
  }
}
setNativeThreads(info.threads);

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(
  '\nGFLOP/s = 2·m·n·k / median time (best rep in parentheses); native and OpenBLAS timed in alternating blocks; ' +
    'beta = 0, alpha = 1.',
);
