/**
 * Exact ports of the two random generators the papers' split code calls:
 *
 * - `PyRandom`: CPython 3's `random.Random` (Modules/_randommodule.c + Lib/random.py). `random.seed(n)`
 *   for an int n feeds the 32-bit words of |n|, least significant first, to `init_by_array` (one zero
 *   word for n = 0). `shuffle` is the Python 3 algorithm: for i from n-1 down to 1, swap x[i] with
 *   x[_randbelow(i + 1)], where `_randbelow(n)` draws `getrandbits(n.bit_length())` until the value is
 *   below n. chemprop and GROVER call `random.seed(seed); random.shuffle(...)` (or `Random(seed)`).
 * - `NumpyRandomState`: NumPy's legacy `np.random.RandomState(seed)` for an int seed in [0, 2^32):
 *   `init_genrand(seed)`; `shuffle`/`permutation` swap x[i] with x[random_interval(i)] for i from n-1
 *   down to 1, where `random_interval(max)` masks 32-bit outputs with the smallest all-ones mask >= max
 *   and rejects values above max. Hu et al.'s `random_scaffold_split` calls `rng.permutation(list)`.
 *
 * Both are verified against values printed by CPython 3.11 / NumPy 1.24 (test/fixtures/splits/rng.json).
 */
import { ConfigError } from '../../errors.js';
import { MT19937 } from './mt19937.js';

const TWO32 = 4294967296;

/** Python's `int.bit_length()` for a non-negative integer up to 2^53. */
function bitLength(n: number): number {
  return n === 0 ? 0 : n.toString(2).length;
}

/** The little-endian 32-bit words of |seed|, as CPython's `random_seed` builds the init_by_array key. */
export function seedWords(seed: number | bigint): number[] {
  let n: bigint;
  if (typeof seed === 'bigint') n = seed < 0n ? -seed : seed;
  else {
    if (!Number.isSafeInteger(seed)) throw new ConfigError(`random seed must be an integer, got ${seed}`);
    n = BigInt(Math.abs(seed));
  }
  const words: number[] = [];
  do {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  } while (n > 0n);
  return words;
}

export class PyRandom {
  private readonly mt = new MT19937();

  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /** `random.seed(n)` for an int n (CPython hashes non-int seeds; only ints are supported here). */
  seed(seed: number | bigint): void {
    this.mt.initByArray(seedWords(seed));
  }

  /** `random.random()`: a double in [0, 1) with 53 random bits. */
  random(): number {
    return this.mt.nextDouble();
  }

  /** `random.getrandbits(k)` for 0 <= k <= 53, as a number. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53)
      throw new RangeError(`getrandbits: k must be in 0..53, got ${k}`);
    if (k === 0) return 0;
    if (k <= 32) return this.mt.nextUint32() >>> (32 - k);
    // CPython fills 32-bit words least significant first; the last word keeps its top (k - 32) bits.
    const lo = this.mt.nextUint32();
    const hi = this.mt.nextUint32() >>> (64 - k);
    return hi * TWO32 + lo;
  }

  /** `random.getrandbits(k)` for any k >= 0, as a bigint. */
  getrandbitsBig(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`getrandbits: k must be >= 0, got ${k}`);
    let out = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32) {
      let word = this.mt.nextUint32();
      if (left < 32) word >>>= 32 - left;
      out |= BigInt(word) << shift;
      shift += 32n;
    }
    return out;
  }

  /** `random._randbelow(n)` (the getrandbits rejection sampler) for 1 <= n <= 2^53. */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) && n !== 2 ** 53) throw new RangeError(`randbelow: bad bound ${n}`);
    if (n <= 0) throw new RangeError(`randbelow: bound must be positive, got ${n}`);
    const k = bitLength(n); // n.bit_length(), not (n - 1): CPython's choice, kept for identical streams
    if (k > 53) {
      // only n = 2^53 gets here (k = 54): draw exactly with bigints
      const big = BigInt(n);
      let r = this.getrandbitsBig(k);
      while (r >= big) r = this.getrandbitsBig(k);
      return Number(r);
    }
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.shuffle(x)` in place (Python 3 algorithm); returns `x`. */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i]!;
      x[i] = x[j]!;
      x[j] = t;
    }
    return x;
  }
}

export class NumpyRandomState {
  private readonly mt = new MT19937();

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `RandomState.seed(n)` for an int n in [0, 2^32): the reference `init_genrand(n)`. */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed >= TWO32) {
      throw new ConfigError(`NumPy RandomState seed must be an integer in [0, 2**32 - 1], got ${seed}`);
    }
    this.mt.initGenrand(seed);
  }

  /** `RandomState.random_sample()` / one value of `rand()`. */
  randomSample(): number {
    return this.mt.nextDouble();
  }

  /** `RandomState.rand(size)`. */
  rand(size: number): Float64Array {
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = this.mt.nextDouble();
    return out;
  }

  /** Legacy `random_interval(max)`: uniform in [0, max] by masked rejection; max < 2^32 here. */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max >= TWO32) {
      throw new RangeError(`random_interval: max must be in [0, 2**32), got ${max}`);
    }
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value = (this.mt.nextUint32() & mask) >>> 0;
    while (value > max) value = (this.mt.nextUint32() & mask) >>> 0;
    return value;
  }

  /** `RandomState.shuffle(x)` in place along the first axis; returns `x`. */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      const t = x[i]!;
      x[i] = x[j]!;
      x[j] = t;
    }
    return x;
  }

  /**
   * `RandomState.permutation(n)` (a shuffled `arange(n)`) or `permutation(seq)` (a shuffled copy along
   * the first axis). Both draw the same numbers, so permuting a list of scaffold sets equals permuting
   * their positions.
   */
  permutation(n: number): number[];
  permutation<T>(x: readonly T[]): T[];
  permutation<T>(x: number | readonly T[]): (number | T)[] {
    const arr: (number | T)[] = typeof x === 'number' ? Array.from({ length: x }, (_, i) => i) : [...x];
    return this.shuffle(arr);
  }
}
