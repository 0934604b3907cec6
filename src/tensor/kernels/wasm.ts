// The WebAssembly SIMD backend: the AssemblyScript kernels of wasm/kernels.ts (compiled into
// wasm-binary.ts by scripts/build-wasm.mjs), behind the Kernels contract. Runs wherever WebAssembly
// SIMD does (Node, browsers); large GEMMs also use worker threads over shared memory in Node.
//
// Data lives in JS typed arrays, so each call copies its inputs into linear memory (one arena per
// backend instance, grown as needed and reused, so nothing is allocated there after warm-up), runs
// the kernel and copies the result back.
//
// Every kernel runs in wasm, copies included; measured on a 2-core Zen 4 VM (bench/gemm-wasm.mjs):
// - gemm: ~40 GFLOP/s on one thread for [8000×300]·[300×600] against ~3.4 for the JS kernels, and
//   faster from 8×8×8 up; products with m·n·k < SMALL_GEMM delegate to the JS reference.
// - gatherRows, scatterAddRows, segmentMaxRows: 3-9× faster than the JS reference even though the
//   whole source is copied in (2000×300 source, 4000 indices: gather 0.35 vs 2.6 ms, segment max 0.84
//   vs 7.3 ms). The copy is of the whole source (gather) or target (scatter), so when only a few of
//   its rows are touched the JS reference wins: gather delegates when the source has more than
//   GATHER_SPARSE times as many rows as are gathered, scatter when the target has more than
//   SCATTER_SPARSE times as many rows as are added (break-even measured at ~20× and ~14×).
//   Any kernel also delegates if linear memory cannot grow to fit its operands.
// - gatherScatterAddRows: 5-13× faster than the JS reference (600×300 rows, 2000 edges: 0.16 vs 2.2 ms);
//   delegates when source plus target hold more than GSA_SPARSE times the rows it adds.
// - adamStep (bit-identical, f64x2), relu forward/backward (other activations delegate), add and
//   accumulate: 1.6× (Adam, 1.9M parameters over ~50 arrays) to 15× (relu) faster, copies included.
// - sumRows, columnMeanVar, scaleShiftRows, batchNormBackward, dropout (all bit-identical: f64x2
//   wherever the reference computes in double): 3-14× faster than the reference at 600-5000 rows × 300
//   columns, copies included (5000×300: batch-norm backward 6.9 vs 30 ms, dropout 4.3 vs 13 ms).
//
// Threads: Node only (worker_threads via process.getBuiltinModule, Node ≥ 20.16), and only where
// SharedArrayBuffer exists. Browsers run single-threaded: main-thread Atomics.wait is forbidden there,
// and cross-origin isolation cannot be assumed. In a browser use loadWasmKernelsAsync(): synchronous
// compilation of modules over 4 KB is refused on the main thread.

import type { Worker } from 'node:worker_threads';
import { checkIndex, checkLength, scaleC } from './checks.js';
import { jsKernels } from './js.js';
import { jsStreamKernels } from './js-stream.js';
import { ACT_RELU, type F32, type I32, type Kernels } from './types.js';
import { WASM_KERNELS_BASE64, WASM_KERNELS_THREADS_BASE64 } from './wasm-binary.js';
import {
  awaitJob,
  CTRL_WORDS,
  ERROR,
  GEN,
  type KernelExports,
  MAX_CHUNKS,
  publishJob,
  runChunks,
  STOP,
  type WasmApi,
  type WasmMemory,
  type WasmModule,
  WORKER_CHUNKS,
  type WorkerInit,
  wakeWorkers,
  wasmApi,
} from './wasm-protocol.js';

export interface WasmKernelOptions {
  /**
   * Threads for large GEMMs, the calling thread included. Default: the MOLGROVE_THREADS environment
   * variable, else 2. Forced to 1 where worker threads or shared memory are unavailable.
   */
  threads?: number;
}

export interface WasmKernels extends Kernels {
  readonly name: 'wasm';
  /** Threads large GEMMs are split over (1: single-threaded). */
  readonly threads: number;
  /** Starts the worker pool now (it otherwise starts on the first large GEMM); resolves when ready. */
  ready(): Promise<void>;
  /** Stops the workers; the kernels keep working, single-threaded. */
  dispose(): Promise<void>;
  /** Counters, for tests and benchmarks. */
  readonly stats: WasmStats;
}

export interface WasmStats {
  /** GEMMs run in wasm (not delegated). */
  gemmCalls: number;
  /** GEMMs split into chunks for the worker pool. */
  threadedCalls: number;
  /** Chunks that worker threads (not the calling thread) ran. */
  readonly workerChunks: number;
}

const PAGE = 65536;
const MAX_PAGES = 65536;
const MAX_THREADS = 64;
/** GEMMs with m·n·k below this run in the JS reference kernels. */
const SMALL_GEMM = 128;
const GATHER_SPARSE = 16;
const SCATTER_SPARSE = 8;
const GSA_SPARSE = 8;
/** Adam on fewer parameters than this runs in the JS reference. */
const ADAM_MIN = 64;
/** Elementwise kernels on fewer elements than this run in the JS reference. */
const STREAM_MIN = 256;
/**
 * GEMMs below this many flops (2·m·n·k) stay on the calling thread: on a 2-core VM, threads break
 * even around 2 MFLOP (a worker's wake-up and the hand-off cost tens of microseconds).
 */
const THREAD_MIN_FLOPS = 4_000_000;
/** Chunks per thread in a threaded GEMM (more balances load, fewer saves packing and wake-ups). */
const CHUNKS_PER_THREAD = 4;

type WorkerThreads = typeof import('node:worker_threads');

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function align64(x: number): number {
  return Math.ceil(x / 64) * 64;
}

function envThreads(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raw = env?.['MOLGROVE_THREADS']?.trim();
  if (!raw || !/^\d+$/.test(raw)) return undefined;
  const t = Number(raw);
  return t >= 1 ? t : undefined;
}

/** node:worker_threads when running in Node ≥ 20.16 (never imported statically: browser bundles). */
function nodeWorkerThreads(): WorkerThreads | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null;
  try {
    return (proc.getBuiltinModule('node:worker_threads') as WorkerThreads | undefined) ?? null;
  } catch {
    return null;
  }
}

/** Threads asked for: options.threads, else MOLGROVE_THREADS, else 2 (capped at MAX_THREADS). */
function resolveThreads(options: WasmKernelOptions): number {
  const threads = options.threads ?? envThreads() ?? 2;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`wasm kernels: threads must be a positive integer, got ${threads}`);
  }
  return Math.min(threads, MAX_THREADS);
}

/** Whether this thread may block in Atomics.wait (not a browser's, or an Electron renderer's, main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this runtime can run the threaded build: Node's worker_threads, shared memory, blocking waits. */
function canThread(threads: number): boolean {
  return (
    threads > 1 &&
    WASM_KERNELS_THREADS_BASE64 !== '' &&
    typeof SharedArrayBuffer !== 'undefined' &&
    nodeWorkerThreads() !== null &&
    canBlock()
  );
}

// Compiled once per thread (JS realm) and shared by every backend instance.
let singleModule: WasmModule | null = null;
let threadedModule: WasmModule | null = null;

/**
 * The WebAssembly SIMD kernels, or null where they cannot run (no WebAssembly or no SIMD, or the
 * package was installed without building them). Synchronous; in a browser's main thread prefer
 * loadWasmKernelsAsync(). Throws only for an invalid `threads` option.
 */
export function loadWasmKernels(options: WasmKernelOptions = {}): WasmKernels | null {
  const threads = resolveThreads(options);
  const api = wasmApi();
  if (!api || WASM_KERNELS_BASE64 === '') return null;
  try {
    singleModule ??= new api.Module(decodeBase64(WASM_KERNELS_BASE64));
  } catch {
    return null;
  }
  if (canThread(threads) && !threadedModule) {
    try {
      threadedModule = new api.Module(decodeBase64(WASM_KERNELS_THREADS_BASE64));
    } catch {
      threadedModule = null;
    }
  }
  return create(api, singleModule, threads);
}

/** As loadWasmKernels, compiling asynchronously (what a browser's main thread requires). */
export async function loadWasmKernelsAsync(options: WasmKernelOptions = {}): Promise<WasmKernels | null> {
  const threads = resolveThreads(options);
  const api = wasmApi();
  if (!api || WASM_KERNELS_BASE64 === '') return null;
  try {
    singleModule ??= await api.compile(decodeBase64(WASM_KERNELS_BASE64));
  } catch {
    return null;
  }
  if (canThread(threads) && !threadedModule) {
    try {
      threadedModule = await api.compile(decodeBase64(WASM_KERNELS_THREADS_BASE64));
    } catch {
      threadedModule = null;
    }
  }
  return create(api, singleModule, threads);
}

function create(api: WasmApi, single: WasmModule, threads: number): WasmKernels | null {
  try {
    return new WasmBackend(api, single, canThread(threads) ? threadedModule : null, threads);
  } catch {
    return null;
  }
}

/**
 * The parent's Node options minus those about the entry point (--input-type, --eval, --print), which
 * a worker started from a file rejects; loaders, source maps and the like are kept.
 */
function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (['-e', '--eval', '-p', '--print', '--input-type'].includes(arg)) {
      i++;
      continue;
    }
    if (/^--(input-type|eval|print)=/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

class Pool {
  readonly workers: Worker[] = [];
  readonly ready: Promise<void>;
  broken = false;

  constructor(wt: WorkerThreads, count: number, init: (id: number) => WorkerInit) {
    const url = new URL('./wasm-worker.js', import.meta.url);
    const started: Promise<void>[] = [];
    for (let id = 0; id < count; id++) {
      const worker = new wt.Worker(url, { workerData: init(id), execArgv: workerExecArgv(process.execArgv) });
      worker.unref();
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', (err) => {
            this.broken = true;
            reject(err);
          });
          worker.once('exit', () => {
            this.broken = true;
            reject(new Error('molgrove wasm worker exited'));
          });
        }),
      );
      this.workers.push(worker);
    }
    this.ready = Promise.all(started).then(() => undefined);
    // A worker that fails only makes later GEMMs single-threaded; ready() reports the error.
    this.ready.catch(() => {});
  }
}

class WasmBackend implements WasmKernels {
  readonly name = 'wasm' as const;
  readonly threads: number;
  private readonly ex: KernelExports;
  private readonly memory: WasmMemory;
  private f32: Float32Array;
  private i32: Int32Array;
  private f64: Float64Array;
  private readonly mr: number;
  private readonly nr: number;
  /** Per-thread packing workspaces: thread t's starts at wsBase + t·wsBytes. */
  private readonly wsBase: number;
  private readonly wsBytes: number;
  /** Start of the per-call region. */
  private readonly dyn: number;
  private readonly ctrl: Int32Array | null = null;
  private readonly ctrlF: Float32Array | null = null;
  private readonly module: WasmModule | null = null;
  private pool: Pool | null = null;
  private counters = { gemmCalls: 0, threadedCalls: 0 };

  constructor(api: WasmApi, single: WasmModule, threaded: WasmModule | null, threads: number) {
    let memory: WasmMemory | null = null;
    if (threaded) {
      for (const maximum of [MAX_PAGES, MAX_PAGES / 4]) {
        try {
          memory = new api.Memory({ initial: 1, maximum, shared: true });
          break;
        } catch {
          memory = null;
        }
      }
    }
    let ex: KernelExports;
    if (memory && threaded) {
      ex = new api.Instance(threaded, { env: { memory } }).exports as KernelExports;
      this.module = threaded;
      const sab = new SharedArrayBuffer(CTRL_WORDS * 4);
      this.ctrl = new Int32Array(sab);
      this.ctrlF = new Float32Array(sab);
    } else {
      threads = 1;
      ex = new api.Instance(single, {}).exports as KernelExports;
      if (!ex.memory) throw new Error('wasm kernels: module exports no memory');
      memory = ex.memory;
    }
    this.threads = threads;
    this.ex = ex;
    this.memory = memory;
    this.mr = ex.microRows();
    this.nr = ex.microCols();
    this.wsBase = align64(ex.heapBase());
    this.wsBytes = align64(ex.workspaceFloats() * 4);
    this.dyn = this.wsBase + threads * this.wsBytes;
    this.f32 = new Float32Array(0);
    this.i32 = new Int32Array(0);
    this.f64 = new Float64Array(0);
    this.ensure(this.dyn);
  }

  get stats(): WasmStats {
    const ctrl = this.ctrl;
    return {
      ...this.counters,
      get workerChunks() {
        return ctrl ? Atomics.load(ctrl, WORKER_CHUNKS) : 0;
      },
    };
  }

  /** Makes linear memory at least `end` bytes long and the views current; false if it cannot grow. */
  private ensure(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        return false;
      }
    }
    const buf = this.memory.buffer;
    if (this.f32.byteLength !== buf.byteLength) {
      this.f32 = new Float32Array(buf);
      this.i32 = new Int32Array(buf);
      this.f64 = new Float64Array(buf);
    }
    return true;
  }

  private startPool(): Pool | null {
    if (this.pool) return this.pool.broken ? null : this.pool;
    const wt = nodeWorkerThreads();
    const ctrl = this.ctrl;
    const module = this.module;
    if (!wt || !ctrl || !module) return null;
    try {
      this.pool = new Pool(wt, this.threads - 1, (id) => ({
        module,
        memory: this.memory,
        ctrl: ctrl.buffer as SharedArrayBuffer,
        ws: this.wsBase + (id + 1) * this.wsBytes,
      }));
    } catch {
      return null;
    }
    return this.pool;
  }

  ready(): Promise<void> {
    if (this.threads === 1) return Promise.resolve();
    const pool = this.startPool();
    return pool ? pool.ready : Promise.reject(new Error('wasm kernels: the worker pool could not start'));
  }

  async dispose(): Promise<void> {
    const pool = this.pool;
    if (!pool || !this.ctrl) return;
    pool.broken = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    await Promise.all(pool.workers.map((w) => w.terminate()));
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: F32,
    lda: number,
    b: F32,
    ldb: number,
    beta: number,
    c: F32,
    ldc: number,
  ): void {
    if (m === 0 || n === 0) return;
    const spanC = (m - 1) * ldc + n;
    checkLength(c, spanC, 'gemm C');
    if (k === 0 || alpha === 0) {
      if (k > 0) {
        checkLength(a, transA ? (k - 1) * lda + m : (m - 1) * lda + k, 'gemm A');
        checkLength(b, transB ? (n - 1) * ldb + k : (k - 1) * ldb + n, 'gemm B');
      }
      scaleC(m, n, beta, c, ldc);
      return;
    }
    const spanA = transA ? (k - 1) * lda + m : (m - 1) * lda + k;
    const spanB = transB ? (n - 1) * ldb + k : (k - 1) * ldb + n;
    checkLength(a, spanA, 'gemm A');
    checkLength(b, spanB, 'gemm B');
    if (lda < (transA ? m : k) || ldb < (transB ? k : n) || ldc < n) {
      throw new RangeError(`gemm: leading dimensions too small (lda=${lda}, ldb=${ldb}, ldc=${ldc})`);
    }
    if (m * n * k < SMALL_GEMM) {
      jsKernels.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const bp = this.dyn;
    const aOff = align64(bp + this.ex.packedBFloats(n, k) * 4);
    const bOff = align64(aOff + spanA * 4);
    const cOff = align64(bOff + spanB * 4);
    if (!this.ensure(cOff + spanC * 4)) {
      jsKernels.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const pool = this.threads > 1 && 2 * m * n * k >= THREAD_MIN_FLOPS ? this.startPool() : null;
    if (pool) wakeWorkers(this.ctrl!);
    const f32 = this.f32;
    f32.set(a.length === spanA ? a : a.subarray(0, spanA), aOff >>> 2);
    f32.set(b.length === spanB ? b : b.subarray(0, spanB), bOff >>> 2);
    // With ldc > n, C is copied in even when beta = 0 so the gaps between rows go back unchanged.
    const copyC = beta !== 0 || ldc !== n;
    if (copyC) f32.set(c.length === spanC ? c : c.subarray(0, spanC), cOff >>> 2);
    this.ex.packB(transB ? 1 : 0, n, k, alpha, bOff, ldb, bp);
    this.counters.gemmCalls++;
    if (pool) {
      this.gemmThreaded(transA, m, n, k, aOff, lda, bp, beta, cOff, ldc);
    } else {
      this.ex.gemmRange(
        transA ? 1 : 0,
        0,
        m,
        0,
        Math.ceil(n / this.nr),
        n,
        k,
        aOff,
        lda,
        bp,
        beta,
        cOff,
        ldc,
        this.wsBase,
      );
    }
    c.set(f32.subarray(cOff >>> 2, (cOff >>> 2) + spanC));
  }

  private gemmThreaded(
    transA: boolean,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    bp: number,
    beta: number,
    c: number,
    ldc: number,
  ): void {
    const ctrl = this.ctrl!;
    const ctrlF = this.ctrlF!;
    const rowUnits = Math.ceil(m / this.mr);
    const panels = Math.ceil(n / this.nr);
    const splitM = rowUnits >= panels;
    const units = splitM ? rowUnits : panels;
    const target = Math.min(units, this.threads * CHUNKS_PER_THREAD, MAX_CHUNKS);
    const unitsPerChunk = Math.ceil(units / target);
    const chunks = Math.ceil(units / unitsPerChunk);
    this.counters.threadedCalls++;
    const gen = publishJob(ctrl, ctrlF, {
      transA,
      m,
      n,
      k,
      a,
      lda,
      bp,
      beta,
      c,
      ldc,
      splitM,
      unitsPerChunk,
      chunks,
    });
    runChunks(this.ex, ctrl, ctrlF, this.wsBase, gen, false);
    awaitJob(ctrl, chunks);
    if (Atomics.load(ctrl, ERROR) !== 0) throw new Error('wasm kernels: a GEMM chunk failed in a worker');
  }

  gatherRows(src: F32, cols: number, index: I32, out: F32, accumulate: boolean): void {
    checkLength(out, index.length * cols, 'gatherRows out');
    checkIndex(index, cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(src.length / cols), 'gatherRows');
    const count = index.length;
    if (count === 0 || cols === 0) return;
    if (src.length > GATHER_SPARSE * count * cols) {
      jsKernels.gatherRows(src, cols, index, out, accumulate);
      return;
    }
    const spanOut = count * cols;
    const srcOff = this.dyn;
    const idxOff = align64(srcOff + src.length * 4);
    const outOff = align64(idxOff + count * 4);
    if (!this.ensure(outOff + spanOut * 4)) {
      jsKernels.gatherRows(src, cols, index, out, accumulate);
      return;
    }
    this.f32.set(src, srcOff >>> 2);
    this.i32.set(index, idxOff >>> 2);
    if (accumulate) this.f32.set(out.length === spanOut ? out : out.subarray(0, spanOut), outOff >>> 2);
    this.ex.gatherRows(srcOff, cols, idxOff, count, outOff, accumulate ? 1 : 0);
    out.set(this.f32.subarray(outOff >>> 2, (outOff >>> 2) + spanOut));
  }

  scatterAddRows(src: F32, cols: number, index: I32, out: F32): void {
    checkLength(src, index.length * cols, 'scatterAddRows src');
    checkIndex(index, cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(out.length / cols), 'scatterAddRows');
    const count = index.length;
    if (count === 0 || cols === 0) return;
    const spanSrc = count * cols;
    const spanOut = Math.floor(out.length / cols) * cols;
    if (spanOut > SCATTER_SPARSE * spanSrc) {
      jsKernels.scatterAddRows(src, cols, index, out);
      return;
    }
    const srcOff = this.dyn;
    const idxOff = align64(srcOff + spanSrc * 4);
    const outOff = align64(idxOff + count * 4);
    if (!this.ensure(outOff + spanOut * 4)) {
      jsKernels.scatterAddRows(src, cols, index, out);
      return;
    }
    this.f32.set(src.length === spanSrc ? src : src.subarray(0, spanSrc), srcOff >>> 2);
    this.i32.set(index, idxOff >>> 2);
    this.f32.set(out.length === spanOut ? out : out.subarray(0, spanOut), outOff >>> 2);
    this.ex.scatterAddRows(srcOff, cols, idxOff, count, outOff);
    out.set(this.f32.subarray(outOff >>> 2, (outOff >>> 2) + spanOut));
  }

  segmentMaxRows(src: F32, cols: number, index: I32, numSegments: number, out: F32, argmax: I32): void {
    const count = index.length;
    checkLength(src, count * cols, 'segmentMaxRows src');
    checkLength(out, numSegments * cols, 'segmentMaxRows out');
    checkLength(argmax, numSegments * cols, 'segmentMaxRows argmax');
    checkIndex(index, numSegments, 'segmentMaxRows');
    const spanSrc = count * cols;
    const spanOut = numSegments * cols;
    if (spanOut === 0) return;
    const srcOff = this.dyn;
    const idxOff = align64(srcOff + spanSrc * 4);
    const outOff = align64(idxOff + count * 4);
    const argOff = align64(outOff + spanOut * 4);
    if (!this.ensure(argOff + spanOut * 4)) {
      jsKernels.segmentMaxRows(src, cols, index, numSegments, out, argmax);
      return;
    }
    this.f32.set(src.length === spanSrc ? src : src.subarray(0, spanSrc), srcOff >>> 2);
    this.i32.set(index, idxOff >>> 2);
    this.ex.segmentMaxRows(srcOff, cols, idxOff, count, numSegments, outOff, argOff);
    out.set(this.f32.subarray(outOff >>> 2, (outOff >>> 2) + spanOut));
    argmax.set(this.i32.subarray(argOff >>> 2, (argOff >>> 2) + spanOut));
  }

  gatherScatterAddRows(src: F32, cols: number, srcIndex: I32, dstIndex: I32, out: F32): void {
    const count = srcIndex.length;
    if (count !== dstIndex.length) {
      throw new RangeError(
        `gatherScatterAddRows: ${count} source but ${dstIndex.length} destination indices`,
      );
    }
    const srcRows = cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(src.length / cols);
    const outRows = cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(out.length / cols);
    checkIndex(srcIndex, srcRows, 'gatherScatterAddRows source');
    checkIndex(dstIndex, outRows, 'gatherScatterAddRows destination');
    if (count === 0 || cols === 0) return;
    const spanSrc = srcRows * cols;
    const spanOut = outRows * cols;
    if (spanSrc + spanOut > GSA_SPARSE * count * cols) {
      jsKernels.gatherScatterAddRows(src, cols, srcIndex, dstIndex, out);
      return;
    }
    const srcOff = this.dyn;
    const sIdxOff = align64(srcOff + spanSrc * 4);
    const dIdxOff = align64(sIdxOff + count * 4);
    const outOff = align64(dIdxOff + count * 4);
    if (!this.ensure(outOff + spanOut * 4)) {
      jsKernels.gatherScatterAddRows(src, cols, srcIndex, dstIndex, out);
      return;
    }
    const f32 = this.f32;
    f32.set(src.length === spanSrc ? src : src.subarray(0, spanSrc), srcOff >>> 2);
    this.i32.set(srcIndex, sIdxOff >>> 2);
    this.i32.set(dstIndex, dIdxOff >>> 2);
    f32.set(out.length === spanOut ? out : out.subarray(0, spanOut), outOff >>> 2);
    this.ex.gatherScatterAddRows(srcOff, cols, sIdxOff, dIdxOff, count, outOff);
    out.set(f32.subarray(outOff >>> 2, (outOff >>> 2) + spanOut));
  }

  adamStep(
    x: F32,
    g: F32,
    m: F32,
    v: F32,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    negStepSize: number,
    bc2Sqrt: number,
    eps: number,
  ): void {
    if (n <= 0) return;
    const xOff = this.dyn;
    const gOff = align64(xOff + n * 4);
    const mOff = align64(gOff + n * 4);
    const vOff = align64(mOff + n * 4);
    if (
      n < ADAM_MIN ||
      x.length < n ||
      g.length < n ||
      m.length < n ||
      v.length < n ||
      !this.ensure(vOff + n * 4)
    ) {
      jsStreamKernels.adamStep(x, g, m, v, n, b1, b2, c1, c2, negStepSize, bc2Sqrt, eps);
      return;
    }
    const f32 = this.f32;
    f32.set(head(x, n), xOff >>> 2);
    f32.set(head(g, n), gOff >>> 2);
    f32.set(head(m, n), mOff >>> 2);
    f32.set(head(v, n), vOff >>> 2);
    this.ex.adamStep(xOff, gOff, mOff, vOff, n, b1, b2, c1, c2, negStepSize, bc2Sqrt, eps);
    x.set(f32.subarray(xOff >>> 2, (xOff >>> 2) + n));
    m.set(f32.subarray(mOff >>> 2, (mOff >>> 2) + n));
    v.set(f32.subarray(vOff >>> 2, (vOff >>> 2) + n));
  }

  activation(act: number, x: F32, n: number): void {
    if (act !== ACT_RELU || n < STREAM_MIN || x.length < n || !this.ensure(this.dyn + n * 4)) {
      jsStreamKernels.activation(act, x, n);
      return;
    }
    const xOff = this.dyn;
    this.f32.set(head(x, n), xOff >>> 2);
    this.ex.reluForward(xOff, n);
    x.set(this.f32.subarray(xOff >>> 2, (xOff >>> 2) + n));
  }

  activationBackward(act: number, g: F32, y: F32, pre: F32, gPre: F32, n: number): void {
    const gOff = this.dyn;
    const yOff = align64(gOff + n * 4);
    if (
      act !== ACT_RELU ||
      n < STREAM_MIN ||
      g.length < n ||
      y.length < n ||
      gPre.length < n ||
      !this.ensure(yOff + n * 4)
    ) {
      jsStreamKernels.activationBackward(act, g, y, pre, gPre, n);
      return;
    }
    const f32 = this.f32;
    f32.set(head(g, n), gOff >>> 2);
    f32.set(head(y, n), yOff >>> 2);
    this.ex.reluBackward(gOff, yOff, gOff, n);
    gPre.set(f32.subarray(gOff >>> 2, (gOff >>> 2) + n));
  }

  add(a: F32, b: F32, out: F32, n: number): void {
    const aOff = this.dyn;
    const bOff = align64(aOff + n * 4);
    if (n < STREAM_MIN || a.length < n || b.length < n || out.length < n || !this.ensure(bOff + n * 4)) {
      jsStreamKernels.add(a, b, out, n);
      return;
    }
    const f32 = this.f32;
    f32.set(head(a, n), aOff >>> 2);
    f32.set(head(b, n), bOff >>> 2);
    this.ex.addArrays(aOff, bOff, aOff, n);
    out.set(f32.subarray(aOff >>> 2, (aOff >>> 2) + n));
  }

  accumulate(dst: F32, src: F32, n: number): void {
    const dOff = this.dyn;
    const sOff = align64(dOff + n * 4);
    if (n < STREAM_MIN || dst.length < n || src.length < n || !this.ensure(sOff + n * 4)) {
      jsStreamKernels.accumulate(dst, src, n);
      return;
    }
    const f32 = this.f32;
    f32.set(head(dst, n), dOff >>> 2);
    f32.set(head(src, n), sOff >>> 2);
    this.ex.addArrays(dOff, sOff, dOff, n);
    dst.set(f32.subarray(dOff >>> 2, (dOff >>> 2) + n));
  }

  sumRows(x: F32, rows: number, cols: number, out: F32): void {
    const n = rows * cols;
    const xOff = this.dyn;
    const oOff = align64(xOff + n * 4);
    if (n < STREAM_MIN || x.length < n || out.length < cols || !this.ensure(oOff + cols * 4)) {
      jsStreamKernels.sumRows(x, rows, cols, out);
      return;
    }
    const f32 = this.f32;
    f32.set(head(x, n), xOff >>> 2);
    f32.set(head(out, cols), oOff >>> 2);
    this.ex.sumRows(xOff, rows, cols, oOff);
    out.set(f32.subarray(oOff >>> 2, (oOff >>> 2) + cols));
  }

  columnMeanVar(x: F32, rows: number, cols: number, mean: F32, variance: F32): void {
    const n = rows * cols;
    const xOff = this.dyn;
    const mOff = align64(xOff + n * 4);
    const vOff = align64(mOff + cols * 4);
    const sOff = align64(vOff + cols * 4);
    if (
      n < STREAM_MIN ||
      x.length < n ||
      mean.length < cols ||
      variance.length < cols ||
      !this.ensure(sOff + cols * 8)
    ) {
      jsStreamKernels.columnMeanVar(x, rows, cols, mean, variance);
      return;
    }
    const f32 = this.f32;
    f32.set(head(x, n), xOff >>> 2);
    this.ex.columnMeanVar(xOff, rows, cols, mOff, vOff, sOff);
    mean.set(f32.subarray(mOff >>> 2, (mOff >>> 2) + cols));
    variance.set(f32.subarray(vOff >>> 2, (vOff >>> 2) + cols));
  }

  scaleShiftRows(x: F32, rows: number, cols: number, scale: F32, shift: F32, y: F32): void {
    const n = rows * cols;
    const xOff = this.dyn;
    const scOff = align64(xOff + n * 4);
    const shOff = align64(scOff + cols * 4);
    if (
      n < STREAM_MIN ||
      x.length < n ||
      y.length < n ||
      scale.length < cols ||
      shift.length < cols ||
      !this.ensure(shOff + cols * 4)
    ) {
      jsStreamKernels.scaleShiftRows(x, rows, cols, scale, shift, y);
      return;
    }
    const f32 = this.f32;
    f32.set(head(x, n), xOff >>> 2);
    f32.set(head(scale, cols), scOff >>> 2);
    f32.set(head(shift, cols), shOff >>> 2);
    this.ex.scaleShiftRows(xOff, rows, cols, scOff, shOff, xOff);
    y.set(f32.subarray(xOff >>> 2, (xOff >>> 2) + n));
  }

  batchNormBackward(
    g: F32,
    x: F32,
    rows: number,
    cols: number,
    mean: F32,
    rstd: F32,
    scale: F32,
    training: boolean,
    gx: F32,
    sumG: Float64Array,
    sumGX: Float64Array,
  ): void {
    const n = rows * cols;
    const gOff = this.dyn;
    const xOff = align64(gOff + n * 4);
    const gxOff = align64(xOff + n * 4);
    const mOff = align64(gxOff + n * 4);
    const rOff = align64(mOff + cols * 4);
    const scOff = align64(rOff + cols * 4);
    const sgOff = align64(scOff + cols * 4);
    const sxOff = align64(sgOff + cols * 8);
    const tOff = align64(sxOff + cols * 8);
    if (
      n < STREAM_MIN ||
      g.length < n ||
      x.length < n ||
      gx.length < n ||
      mean.length < cols ||
      rstd.length < cols ||
      scale.length < cols ||
      sumG.length < cols ||
      sumGX.length < cols ||
      !this.ensure(tOff + cols * 8)
    ) {
      jsStreamKernels.batchNormBackward(g, x, rows, cols, mean, rstd, scale, training, gx, sumG, sumGX);
      return;
    }
    const f32 = this.f32;
    f32.set(head(g, n), gOff >>> 2);
    f32.set(head(x, n), xOff >>> 2);
    f32.set(head(gx, n), gxOff >>> 2);
    f32.set(head(mean, cols), mOff >>> 2);
    f32.set(head(rstd, cols), rOff >>> 2);
    f32.set(head(scale, cols), scOff >>> 2);
    this.ex.batchNormBackward(
      gOff,
      xOff,
      rows,
      cols,
      mOff,
      rOff,
      scOff,
      training ? 1 : 0,
      gxOff,
      sgOff,
      sxOff,
      tOff,
    );
    gx.set(f32.subarray(gxOff >>> 2, (gxOff >>> 2) + n));
    const f64 = this.f64;
    sumG.set(f64.subarray(sgOff >>> 3, (sgOff >>> 3) + cols));
    sumGX.set(f64.subarray(sxOff >>> 3, (sxOff >>> 3) + cols));
  }

  dropout(
    x: F32,
    y: F32,
    mask: F32,
    n: number,
    threshold16: number,
    scale: number,
    seedA: number,
    seedB: number,
  ): void {
    const xOff = this.dyn;
    const mOff = align64(xOff + n * 4);
    if (
      n < STREAM_MIN ||
      x.length < n ||
      y.length < n ||
      mask.length < n ||
      !Number.isInteger(threshold16) ||
      threshold16 < 0 ||
      threshold16 > 65536 ||
      !Number.isInteger(seedA) ||
      !Number.isInteger(seedB) ||
      !this.ensure(mOff + n * 4)
    ) {
      jsStreamKernels.dropout(x, y, mask, n, threshold16, scale, seedA, seedB);
      return;
    }
    const f32 = this.f32;
    f32.set(head(x, n), xOff >>> 2);
    this.ex.dropout(xOff, xOff, mOff, n, threshold16, scale, seedA >>> 0, seedB >>> 0);
    y.set(f32.subarray(xOff >>> 2, (xOff >>> 2) + n));
    mask.set(f32.subarray(mOff >>> 2, (mOff >>> 2) + n));
  }
}

/** The first n elements of a (a itself when it has exactly n). */
function head(a: F32, n: number): F32 {
  return a.length === n ? a : a.subarray(0, n);
}
