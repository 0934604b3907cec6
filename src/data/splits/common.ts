/** Input validation and the bookkeeping every splitter shares (invalid rows, scaffold grouping). */
import { ConfigError } from '../../errors.js';
import type { SplitInput, SplitMethod, SplitResult, SplitSizes } from './types.js';

export const SIZES_TOLERANCE = 1e-6;

/** Three finite non-negative fractions summing to 1 within 1e-6; otherwise a ConfigError. */
export function validateSizes(sizes: readonly number[]): [number, number, number] {
  if (sizes.length !== 3 || sizes.some((s) => typeof s !== 'number' || !Number.isFinite(s) || s < 0)) {
    throw new ConfigError(
      `split sizes must be three non-negative numbers (train,valid,test), got ${JSON.stringify(sizes)}`,
    );
  }
  const [a, b, c] = sizes as unknown as SplitSizes;
  if (Math.abs(a + b + c - 1) > SIZES_TOLERANCE) {
    throw new ConfigError(`split sizes must sum to 1, got ${sizes.join(',')} (sum ${a + b + c})`);
  }
  return [a, b, c];
}

export function validateSeed(seed: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > max) {
    throw new ConfigError(`split seed must be an integer in [0, ${max}], got ${seed}`);
  }
  return seed;
}

/** The part of the input every splitter needs, checked: valid rows in file order, invalid rows. */
export interface Prepared {
  readonly sizes: [number, number, number];
  readonly seed: number;
  /** Row indices of the valid molecules, ascending: the dataset the reference code splits. */
  readonly rows: number[];
  readonly invalid: number[];
}

export function prepare(method: SplitMethod, input: SplitInput, opts: { maxSeed?: number } = {}): Prepared {
  const { n } = input;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(`split: n must be a non-negative integer, got ${n}`);
  const sizes = validateSizes(input.sizes);
  const seed = validateSeed(input.seed, opts.maxSeed);
  if (input.scaffolds && input.scaffolds.length !== n) {
    throw new ConfigError(`split ${method}: ${input.scaffolds.length} scaffolds for ${n} rows`);
  }
  if (input.valid && input.valid.length !== n) {
    throw new ConfigError(`split ${method}: validity mask has ${input.valid.length} entries for ${n} rows`);
  }
  if (input.labels && input.labels.length !== n) {
    throw new ConfigError(`split ${method}: ${input.labels.length} labels for ${n} rows`);
  }
  const rows: number[] = [];
  const invalid: number[] = [];
  for (let i = 0; i < n; i++) {
    const bad = input.valid?.[i] === false || input.scaffolds?.[i] === null;
    (bad ? invalid : rows).push(i);
  }
  return { sizes, seed, rows, invalid };
}

export function requireScaffolds(method: SplitMethod, input: SplitInput): readonly (string | null)[] {
  if (!input.scaffolds) {
    throw new ConfigError(`split method '${method}' needs one scaffold per row (scaffolds)`);
  }
  return input.scaffolds;
}

/**
 * Groups the valid rows by scaffold string, groups in order of first appearance (Python dict insertion
 * order) and members ascending (the order the reference loops append them).
 */
export function groupByScaffold(rows: readonly number[], scaffolds: readonly (string | null)[]): number[][] {
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    const key = scaffolds[row];
    if (key === null || key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

/** `dst.push(...src)` without the argument-count limit of a spread call on large groups. */
export function append(dst: number[], src: readonly number[]): void {
  for (const x of src) dst.push(x);
}

export function result(
  method: SplitMethod,
  p: Prepared,
  train: number[],
  valid: number[],
  test: number[],
): SplitResult {
  return { method, seed: p.seed, sizes: p.sizes, train, valid, test, invalid: p.invalid };
}
