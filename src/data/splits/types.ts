/** The shared shapes of every splitter: inputs are plain arrays, outputs 0-based row indices. */

/** Train, validation and test fractions: three non-negative numbers summing to 1 (within 1e-6). */
export type SplitSizes = readonly [number, number, number];

export type SplitMethod = 'random' | 'scaffold' | 'balanced_scaffold' | 'random_scaffold' | 'stratified';

export interface SplitInput {
  /** Number of data rows; every index in the result is in [0, n). */
  readonly n: number;
  /**
   * One Bemis–Murcko scaffold SMILES per row, `null` for a molecule that could not be parsed. Required
   * by the scaffold methods (with chirality for `scaffold`/`random_scaffold` as Hu et al.; without for
   * `balanced_scaffold` as GROVER/chemprop). The empty string is a real scaffold (acyclic molecules).
   * For the other methods it is optional and only its `null`s are used (they mark invalid rows).
   */
  readonly scaffolds?: readonly (string | null)[];
  /** One class label per row for `stratified` (integers; NaN = missing label). */
  readonly labels?: ArrayLike<number>;
  /** Optional validity mask: `false` marks an invalid row, excluded like a `null` scaffold. */
  readonly valid?: ArrayLike<boolean>;
  /** Non-negative integer seed (the deterministic `scaffold` split ignores it). */
  readonly seed: number;
  readonly sizes: SplitSizes;
}

export interface SplitResult {
  readonly method: SplitMethod;
  readonly seed: number;
  readonly sizes: [number, number, number];
  /** Row indices in the order the reference code returns them (see each splitter). */
  readonly train: number[];
  readonly valid: number[];
  readonly test: number[];
  /** Rows excluded before splitting (unparsable molecules), ascending. */
  readonly invalid: number[];
}

export interface Splitter {
  readonly name: SplitMethod;
  readonly aliases: readonly string[];
  /** One line for `--help` and docs, naming the reference code it reproduces. */
  readonly description: string;
  /** Which scaffolds it needs: with chirality (Hu et al.), without (GROVER/chemprop), or none. */
  readonly scaffolds: 'chiral' | 'achiral' | 'none';
  readonly needsLabels: boolean;
  split(input: SplitInput): SplitResult;
}
