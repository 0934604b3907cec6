/** Shared metric types: plain arrays and typed arrays are both accepted so callers never copy to call us. */
export type NumberArray = Float64Array | Float32Array | readonly number[];

export type TaskType = 'classification' | 'regression';

/** A single-task metric: labels first, predictions (scores or values) second, as in scikit-learn. */
export type ScoreFn = (yTrue: NumberArray, yPred: NumberArray) => number;

/** Per-task result of a multi-task metric; `perTask[t]` is null exactly when `t` is in `skipped`. */
export interface MultiTaskResult {
  /** Mean over the tasks that were scored; NaN when every task was skipped. */
  readonly mean: number;
  readonly perTask: readonly (number | null)[];
  /** Tasks left out: no labelled rows, only one class (ROC-AUC/PRC-AUC), or too few rows (R²). */
  readonly skipped: readonly number[];
}
