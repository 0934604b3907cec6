/**
 * Multi-task evaluation over a row-major n×T matrix with missing labels stored as NaN: each task is
 * scored on its labelled rows only, and tasks where the metric is undefined are skipped and reported
 * rather than averaged in as NaN — the convention of chemprop and Hu et al. for MoleculeNet benchmarks.
 */
import { DatasetError, MolgroveError } from '../errors.js';
import { numpyMean } from './numpy-sum.js';
import type { MultiTaskResult, NumberArray, ScoreFn, TaskType } from './types.js';

/** When a task's labelled rows are enough for a metric to be defined. */
export interface TaskRule {
  readonly taskType: TaskType;
  /** ROC-AUC and PRC-AUC need both classes among the labelled rows. */
  readonly needsBothClasses: boolean;
  /** Fewest labelled rows the metric is defined on (R² needs 2). */
  readonly minRows: number;
}

/** Checks the matrix shape, every prediction, and every present label; returns the row count. */
function checkMatrix(
  metric: string,
  rule: TaskRule,
  yTrue: NumberArray,
  yPred: NumberArray,
  nTasks: number,
): number {
  if (!Number.isInteger(nTasks) || nTasks < 1) {
    throw new MolgroveError('SHAPE', `${metric}: nTasks must be a positive integer, got ${nTasks}`);
  }
  if (yTrue.length !== yPred.length) {
    throw new MolgroveError(
      'SHAPE',
      `${metric}: labels have ${yTrue.length} values but predictions have ${yPred.length}`,
    );
  }
  if (yTrue.length % nTasks !== 0) {
    throw new MolgroveError(
      'SHAPE',
      `${metric}: ${yTrue.length} values do not form rows of ${nTasks} tasks (row-major n×${nTasks} expected)`,
    );
  }
  for (let k = 0; k < yTrue.length; k++) {
    const where = `row ${Math.floor(k / nTasks)}, task ${k % nTasks}`;
    // Every prediction is checked, labelled or not: a non-finite output anywhere means the model diverged.
    const p = yPred[k]!;
    if (!Number.isFinite(p)) throw new MolgroveError('SHAPE', `${metric}: prediction at ${where} is ${p}`);
    const y = yTrue[k]!;
    if (Number.isNaN(y)) continue; // missing label
    if (!Number.isFinite(y)) throw new DatasetError(`${metric}: label at ${where} is ${y}`);
    if (rule.taskType === 'classification' && y !== 0 && y !== 1) {
      throw new DatasetError(`${metric}: label at ${where} is ${y}, expected 0, 1 or NaN (missing)`);
    }
  }
  return yTrue.length / nTasks;
}

/** Scores every task with `score` under `rule`; `metric` names the metric in error messages. */
export function scoreTasks(
  metric: string,
  score: ScoreFn,
  rule: TaskRule,
  yTrue: NumberArray,
  yPred: NumberArray,
  nTasks: number,
): MultiTaskResult {
  const nRows = checkMatrix(metric, rule, yTrue, yPred, nTasks);
  const perTask: (number | null)[] = [];
  const skipped: number[] = [];
  const scored: number[] = [];
  for (let t = 0; t < nTasks; t++) {
    const labels: number[] = [];
    const preds: number[] = [];
    for (let r = 0; r < nRows; r++) {
      const y = yTrue[r * nTasks + t]!;
      if (Number.isNaN(y)) continue;
      labels.push(y);
      preds.push(yPred[r * nTasks + t]!);
    }
    const singleClass = labels.every((y) => y === labels[0]);
    if (labels.length === 0 || labels.length < rule.minRows || (rule.needsBothClasses && singleClass)) {
      perTask.push(null);
      skipped.push(t);
      continue;
    }
    const value = score(labels, preds);
    perTask.push(value);
    scored.push(value);
  }
  return { mean: scored.length === 0 ? Number.NaN : numpyMean(scored), perTask, skipped };
}
