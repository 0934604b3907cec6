// What the WebAssembly backend (wasm.ts) and its GEMM worker threads (wasm-worker.ts) share: the
// minimal WebAssembly typings (the project's lib has no DOM), the kernel exports, the layout of the
// control block that coordinates a threaded GEMM, and the chunk loop every thread runs.
//
// A threaded GEMM is split into chunks of whole rows (MR-row units) or whole column panels (NR wide),
// never over k, so every element of C is accumulated in the same order by whichever thread computes
// it: the result is bit-identical for any thread count. Threads claim chunks with a compare-exchange
// on a word tagged with the job's generation, so a thread that wakes late (or reads the parameters of
// a newer job half-written) can never run a chunk of the wrong job; the caller runs chunks itself too,
// so a job finishes even if no worker ever wakes up.

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}
// biome-ignore lint/suspicious/noEmptyInterface: opaque handle
export interface WasmModule {}
export interface WasmInstance {
  readonly exports: unknown;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports?: object) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

/** The WebAssembly global, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** Exports of wasm/kernels.ts. Pointers are byte offsets into linear memory. */
export interface KernelExports {
  readonly memory?: WasmMemory;
  heapBase(): number;
  microRows(): number;
  microCols(): number;
  workspaceFloats(): number;
  packedBFloats(n: number, k: number): number;
  packB(transB: number, n: number, k: number, alpha: number, b: number, ldb: number, dst: number): void;
  gemmRange(
    transA: number,
    m0: number,
    m1: number,
    jp0: number,
    jp1: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    bp: number,
    beta: number,
    c: number,
    ldc: number,
    ws: number,
  ): void;
  gatherRows(src: number, cols: number, index: number, count: number, out: number, accumulate: number): void;
  scatterAddRows(src: number, cols: number, index: number, count: number, out: number): void;
  segmentMaxRows(
    src: number,
    cols: number,
    index: number,
    count: number,
    numSegments: number,
    out: number,
    argmax: number,
  ): void;
  gatherScatterAddRows(
    src: number,
    cols: number,
    srcIdx: number,
    dstIdx: number,
    count: number,
    out: number,
  ): void;
  adamStep(
    x: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    negStepSize: number,
    bc2Sqrt: number,
    eps: number,
  ): void;
  reluForward(x: number, n: number): void;
  reluBackward(g: number, y: number, gPre: number, n: number): void;
  addArrays(a: number, b: number, out: number, n: number): void;
  sumRows(x: number, rows: number, cols: number, out: number): void;
  columnMeanVar(x: number, rows: number, cols: number, mean: number, variance: number, s: number): void;
  scaleShiftRows(x: number, rows: number, cols: number, scale: number, shift: number, y: number): void;
  batchNormBackward(
    g: number,
    x: number,
    rows: number,
    cols: number,
    mean: number,
    rstd: number,
    scale: number,
    training: number,
    gx: number,
    sumG: number,
    sumGX: number,
    tmp: number,
  ): void;
  dropout(
    x: number,
    y: number,
    mask: number,
    n: number,
    threshold16: number,
    scale: number,
    seedA: number,
    seedB: number,
  ): void;
}

/** What each worker receives as workerData. */
export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  /** The control block (CTRL_WORDS Int32 words). */
  ctrl: SharedArrayBuffer;
  /** Byte offset of this worker's private packing workspace. */
  ws: number;
}

// Control block words.
/** Job generation; bumped (and notified) to publish a job. */
export const GEN = 0;
/** Claim word: (generation tag << IDX_BITS) | next chunk index. */
export const NEXT = 1;
/** Chunks finished in the current job; notified when it reaches the chunk count. */
export const DONE = 2;
/** Set when a chunk threw. */
export const ERROR = 3;
/** Set to make workers leave their loop. */
export const STOP = 4;
/** Chunks run by worker threads so far (statistics). */
export const WORKER_CHUNKS = 5;
// Job parameters.
const P_TRANSA = 8;
const P_M = 9;
const P_N = 10;
const P_K = 11;
const P_A = 12;
const P_LDA = 13;
const P_BP = 14;
const P_BETA = 15; // float32 bits
const P_C = 16;
const P_LDC = 17;
const P_SPLIT_M = 18;
const P_UNITS = 19;
const P_CHUNKS = 20;
export const CTRL_WORDS = 32;

const IDX_BITS = 10;
const IDX_MASK = (1 << IDX_BITS) - 1;
/** Chunk counts stay below this so the index never reaches the tag bits. */
export const MAX_CHUNKS = IDX_MASK;
const TAG_MASK = (1 << (31 - IDX_BITS)) - 1;

function tagOf(gen: number): number {
  return (gen & TAG_MASK) << IDX_BITS;
}

export interface GemmJob {
  transA: boolean;
  m: number;
  n: number;
  k: number;
  a: number;
  lda: number;
  bp: number;
  beta: number;
  c: number;
  ldc: number;
  /** Split over rows (units of MR rows) or over column panels (units of one NR-wide panel). */
  splitM: boolean;
  unitsPerChunk: number;
  chunks: number;
}

/**
 * Publishes a job (called by the owning thread only, between jobs): closes the claim word so no
 * thread can claim from the previous job, writes the parameters, opens the claim word with the new
 * generation's tag and wakes the workers. Returns the new generation.
 */
export function publishJob(ctrl: Int32Array, ctrlF: Float32Array, job: GemmJob): number {
  const gen = (Atomics.load(ctrl, GEN) + 1) | 0;
  Atomics.store(ctrl, NEXT, tagOf(gen) | IDX_MASK);
  Atomics.store(ctrl, P_TRANSA, job.transA ? 1 : 0);
  Atomics.store(ctrl, P_M, job.m);
  Atomics.store(ctrl, P_N, job.n);
  Atomics.store(ctrl, P_K, job.k);
  Atomics.store(ctrl, P_A, job.a);
  Atomics.store(ctrl, P_LDA, job.lda);
  Atomics.store(ctrl, P_BP, job.bp);
  ctrlF[P_BETA] = job.beta;
  Atomics.store(ctrl, P_C, job.c);
  Atomics.store(ctrl, P_LDC, job.ldc);
  Atomics.store(ctrl, P_SPLIT_M, job.splitM ? 1 : 0);
  Atomics.store(ctrl, P_UNITS, job.unitsPerChunk);
  Atomics.store(ctrl, P_CHUNKS, job.chunks);
  Atomics.store(ctrl, DONE, 0);
  Atomics.store(ctrl, ERROR, 0);
  Atomics.store(ctrl, NEXT, tagOf(gen));
  Atomics.store(ctrl, GEN, gen);
  Atomics.notify(ctrl, GEN);
  return gen;
}

/**
 * Wakes sleeping workers ahead of a job (the caller then copies and packs operands, which hides the
 * wake-up latency, large on virtual machines); they spin on GEN until the job is published.
 */
export function wakeWorkers(ctrl: Int32Array): void {
  Atomics.notify(ctrl, GEN);
}

/** How long a worker spins for the next job after a wake-up call and after finishing a job. */
const SPIN_AFTER_WAKE_MS = 20;
const SPIN_AFTER_JOB_MS = 0.2;

/**
 * A worker's main loop: sleep on GEN, spin briefly when woken or after a job (jobs come in bursts
 * and a futex wake-up costs tens of microseconds), run the chunks of each new job, leave on STOP.
 */
export function workerLoop(ex: KernelExports, ctrl: Int32Array, ctrlF: Float32Array, ws: number): void {
  // -1 is never a generation, so the worker joins a job that may already be running when it starts.
  let seen = -1;
  let spinMs = 0;
  for (;;) {
    let gen = Atomics.load(ctrl, GEN);
    if (gen === seen && spinMs > 0) {
      const until = performance.now() + spinMs;
      while (gen === seen && performance.now() < until) gen = Atomics.load(ctrl, GEN);
    }
    if (gen === seen) {
      Atomics.wait(ctrl, GEN, seen);
      spinMs = SPIN_AFTER_WAKE_MS;
      continue;
    }
    seen = gen;
    if (Atomics.load(ctrl, STOP) !== 0) return;
    runChunks(ex, ctrl, ctrlF, ws, gen, true);
    spinMs = SPIN_AFTER_JOB_MS;
  }
}

/** The owner's wait for a job's last chunk: spin a little (it is usually close), then sleep. */
export function awaitJob(ctrl: Int32Array, chunks: number): void {
  const until = performance.now() + 1;
  while (Atomics.load(ctrl, DONE) < chunks && performance.now() < until) {}
  for (;;) {
    const done = Atomics.load(ctrl, DONE);
    if (done >= chunks) return;
    Atomics.wait(ctrl, DONE, done);
  }
}

/**
 * Claims and runs chunks of job `gen` until none is left (or the job is no longer current). Errors
 * are recorded in the control block, never thrown, so the DONE count always completes.
 */
export function runChunks(
  ex: KernelExports,
  ctrl: Int32Array,
  ctrlF: Float32Array,
  ws: number,
  gen: number,
  isWorker: boolean,
): void {
  const tag = tagOf(gen);
  const transA = Atomics.load(ctrl, P_TRANSA);
  const m = Atomics.load(ctrl, P_M);
  const n = Atomics.load(ctrl, P_N);
  const k = Atomics.load(ctrl, P_K);
  const a = Atomics.load(ctrl, P_A);
  const lda = Atomics.load(ctrl, P_LDA);
  const bp = Atomics.load(ctrl, P_BP);
  const beta = ctrlF[P_BETA]!;
  const c = Atomics.load(ctrl, P_C);
  const ldc = Atomics.load(ctrl, P_LDC);
  const splitM = Atomics.load(ctrl, P_SPLIT_M) !== 0;
  const units = Atomics.load(ctrl, P_UNITS);
  const chunks = Atomics.load(ctrl, P_CHUNKS);
  const mr = ex.microRows();
  const panels = Math.ceil(n / ex.microCols());
  for (;;) {
    const word = Atomics.load(ctrl, NEXT);
    // Parameters read above belong to this job only if the claim word still carries its tag.
    if ((word & ~IDX_MASK) !== tag) return;
    const idx = word & IDX_MASK;
    if (idx >= chunks) return;
    if (Atomics.compareExchange(ctrl, NEXT, word, word + 1) !== word) continue;
    try {
      if (splitM) {
        const m0 = idx * units * mr;
        ex.gemmRange(transA, m0, Math.min(m, m0 + units * mr), 0, panels, n, k, a, lda, bp, beta, c, ldc, ws);
      } else {
        const jp0 = idx * units;
        ex.gemmRange(transA, 0, m, jp0, Math.min(panels, jp0 + units), n, k, a, lda, bp, beta, c, ldc, ws);
      }
    } catch {
      Atomics.store(ctrl, ERROR, 1);
    }
    if (isWorker) Atomics.add(ctrl, WORKER_CHUNKS, 1);
    if (Atomics.add(ctrl, DONE, 1) + 1 === chunks) Atomics.notify(ctrl, DONE);
  }
}
