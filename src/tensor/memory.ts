// Buffer reuse. Inside a `tidy` scope every tensor an op creates takes its storage from a pool of
// ArrayBuffers in size classes (≤12.5% slack) and gives it back when the scope ends, so a training
// step allocates (almost) nothing once the pool has warmed up. Outside any scope, storage is plain
// garbage-collected memory. A tensor whose storage went back to the pool is marked disposed and any
// later use fails loudly instead of reading recycled numbers.

const MIN_CLASS_BYTES = 256;

/** Bytes actually reserved for a request of `bytes`: 8 steps per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS_BYTES) return MIN_CLASS_BYTES;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Size classes that currently hold free buffers, ascending (for best-fit search). */
  private classes: number[] = [];
  pooledBytes = 0;
  /** Buffers (and their bytes) the pool had to create because none fitted: growth after warm-up. */
  freshCount = 0;
  freshBytes = 0;
  take(bytes: number): ArrayBuffer {
    const cls = sizeClass(bytes);
    // Best fit: the smallest free buffer of at least this class and at most twice its size, so
    // batches of varying size reuse each other's buffers instead of growing the pool.
    for (const c of this.classes) {
      if (c < cls) continue;
      if (c > 2 * cls) break;
      const list = this.free.get(c)!;
      const buf = list.pop()!;
      if (list.length === 0) {
        this.free.delete(c);
        this.classes = this.classes.filter((x) => x !== c);
      }
      this.pooledBytes -= c;
      return buf;
    }
    this.freshCount++;
    this.freshBytes += cls;
    return new ArrayBuffer(cls);
  }
  give(buf: ArrayBuffer): void {
    const cls = buf.byteLength;
    let list = this.free.get(cls);
    if (!list) {
      list = [];
      this.free.set(cls, list);
      const at = this.classes.findIndex((c) => c > cls);
      if (at < 0) this.classes.push(cls);
      else this.classes.splice(at, 0, cls);
    }
    list.push(buf);
    this.pooledBytes += cls;
  }
  clear(): void {
    this.free.clear();
    this.classes = [];
    this.pooledBytes = 0;
  }
}

export const pool = new BufferPool();

/** Something a scope can release: a tensor, or a scratch buffer an op keeps for its backward pass. */
export interface Releasable {
  release(): void;
}

const scopes: Releasable[][] = [];

export function inScope(): boolean {
  return scopes.length > 0;
}

function register(r: Releasable): void {
  scopes[scopes.length - 1]?.push(r);
}

class PooledBuffer implements Releasable {
  constructor(private buf: ArrayBuffer | null) {}
  release(): void {
    if (this.buf) pool.give(this.buf);
    this.buf = null;
  }
}

/** Float32 storage for an op's result or scratch: pooled inside a scope, fresh outside. */
export function allocF32(n: number, owner?: { storage: Releasable | null }): Float32Array {
  if (scopes.length === 0) return new Float32Array(n);
  const buf = pool.take(n * 4);
  const handle = new PooledBuffer(buf);
  if (owner) owner.storage = handle;
  else register(handle);
  return new Float32Array(buf, 0, n);
}

/** Int32 scratch (argmax, masks) released with the enclosing scope. */
export function allocI32(n: number): Int32Array {
  if (scopes.length === 0) return new Int32Array(n);
  const buf = pool.take(n * 4);
  register(new PooledBuffer(buf));
  return new Int32Array(buf, 0, n);
}

/** Hands a tensor (or other releasable) to the current scope, if any. */
export function track(r: Releasable): void {
  register(r);
}

/**
 * Runs `fn` in a scope and releases every tensor and scratch buffer created inside it, except the
 * tensors reachable from its result (a tensor, or arrays/plain objects of them) and those passed to
 * `keep`, which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Releasable[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const r of scope) r.release();
    throw err;
  }
  scopes.pop();
  const kept = new Set<Releasable>();
  collectKept(result, kept, 0);
  for (const r of scope) {
    if (kept.has(r) || keptSet.has(r)) {
      keptSet.delete(r);
      register(r);
    } else r.release();
  }
  return result;
}

const keptSet = new Set<Releasable>();

/** Marks a tensor created in the current scope to survive it (it moves to the enclosing scope). */
export function keep<T extends Releasable>(t: T): T {
  let r: Releasable | null | undefined = t;
  while (r) {
    keptSet.add(r);
    r = (r as { base?: Releasable | null }).base;
  }
  return t;
}

function collectKept(v: unknown, out: Set<Releasable>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 4) return;
  if (ArrayBuffer.isView(v)) return;
  if ('release' in v && typeof (v as Releasable).release === 'function') {
    // A view keeps the tensor whose storage it shares.
    let r: Releasable | null | undefined = v as Releasable;
    while (r) {
      out.add(r);
      r = (r as { base?: Releasable | null }).base;
    }
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectKept(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectKept(x, out, depth + 1);
}

/** Bytes held by the pool for reuse (for tests and memory reports). */
export function pooledBytes(): number {
  return pool.pooledBytes;
}

export interface PoolStats {
  /** Bytes waiting in the pool for reuse. */
  pooledBytes: number;
  /** Buffers created so far because the pool had none that fitted (and their total bytes). */
  freshCount: number;
  freshBytes: number;
}

export function poolStats(): PoolStats {
  return { pooledBytes: pool.pooledBytes, freshCount: pool.freshCount, freshBytes: pool.freshBytes };
}

/** Drops every pooled buffer (e.g. after training, to return memory to the system). */
export function clearPool(): void {
  pool.clear();
}
