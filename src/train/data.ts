// The data of one fine-tuning task: the dataset, its graphs (featurized once, cached on disk),
// optional molecule-level features, and the map from dataset rows to graphs. Batches are built
// from dataset row indices, so split files (which hold dataset rows) apply directly.

import { existsSync } from 'node:fs';
import { loadCsvDataset, loadDataset, type MoleculeDataset } from '../data/dataset.js';
import type { CachedFeaturizeOptions } from '../data/feature-cache.js';
import { featurizeDataset } from '../data/feature-cache.js';
import type { FeaturizedDataset } from '../data/featurized.js';
import { ConfigError, DatasetError } from '../errors.js';
import type { ModelInput } from '../models/molecule-model.js';
import type { FinetuneConfig } from './config.js';

export interface TaskData {
  readonly dataset: MoleculeDataset;
  /** Graphs of the rows that featurized (null for a fingerprint-only model). */
  readonly graphs: FeaturizedDataset | null;
  /** Dataset row → index into `graphs`, or −1 for a row that could not be featurized. */
  readonly graphIndex: Int32Array;
  /** Row-major rows × molFeatureDim (null without molecule features). */
  readonly molFeatures: Float32Array | null;
  readonly molFeatureDim: number;
  /** Dataset rows that are unusable (unparsable SMILES), ascending. */
  readonly invalidRows: readonly number[];
}

/** Loads the dataset a config names (registry name or CSV). */
export async function loadConfigDataset(config: FinetuneConfig): Promise<MoleculeDataset> {
  const common = {
    ...(config.smilesColumn !== undefined ? { smilesColumn: config.smilesColumn } : {}),
    ...(config.targetColumns !== undefined ? { targetColumns: config.targetColumns } : {}),
    ...(config.taskType !== undefined ? { taskType: config.taskType } : {}),
  };
  if (config.dataset !== undefined) return loadDataset(config.dataset, common);
  const path = config.csv!;
  if (!existsSync(path)) throw new ConfigError(`csv: no such file: ${path}`);
  return loadCsvDataset({ path, ...common });
}

/** A source of molecule-level features for a list of SMILES (see data/mol-features). */
export type MolFeatureSource = (ds: MoleculeDataset) => Promise<{ data: Float32Array; dim: number }>;

export interface PrepareOptions extends CachedFeaturizeOptions {
  /** Builds graphs with this featurizer preset; null for fingerprint-only models. */
  readonly featurizer: string | null;
  readonly molFeatures?: MolFeatureSource;
}

/** Featurizes (through the cache) and attaches molecule features. */
export async function prepareTaskData(ds: MoleculeDataset, options: PrepareOptions): Promise<TaskData> {
  if (ds.taskType === 'unlabelled')
    throw new DatasetError(`dataset '${ds.name}' has no labels to fine-tune on (give --target-columns)`);
  const n = ds.smiles.length;
  const graphIndex = new Int32Array(n).fill(-1);
  const invalid = new Set<number>();
  let graphs: FeaturizedDataset | null = null;
  if (options.featurizer) {
    const { featurizer, molFeatures: _, ...rest } = options;
    graphs = (await featurizeDataset(ds, featurizer, rest)).data;
    const rows = graphs.packed.rows;
    for (let i = 0; i < rows.length; i++) graphIndex[rows[i]!] = i;
    for (const r of graphs.invalid) invalid.add(r.row);
  } else {
    for (let i = 0; i < n; i++) graphIndex[i] = i;
  }
  let molFeatures: Float32Array | null = null;
  let molFeatureDim = 0;
  if (options.molFeatures) {
    const mf = await options.molFeatures(ds);
    if (mf.data.length !== n * mf.dim)
      throw new DatasetError(`molecule features: ${mf.data.length / mf.dim} rows for a dataset of ${n}`);
    molFeatures = mf.data;
    molFeatureDim = mf.dim;
    for (let r = 0; r < n; r++) {
      // Rows whose features could not be computed are NaN-filled by the source: unusable.
      if (Number.isNaN(molFeatures[r * mf.dim]!)) invalid.add(r);
    }
  }
  for (const r of invalid) graphIndex[r] = -1;
  return {
    dataset: ds,
    graphs,
    graphIndex,
    molFeatures,
    molFeatureDim,
    invalidRows: [...invalid].sort((a, b) => a - b),
  };
}

/** Keeps the rows that have graphs/features (a split may list rows the featurizer rejected). */
export function usableRows(data: TaskData, rows: readonly number[]): number[] {
  return rows.filter((r) => data.graphIndex[r]! >= 0);
}

/** The model input for dataset rows `rows` (in that order). */
export function makeInput(data: TaskData, rows: readonly number[]): ModelInput {
  const graphs = data.graphs ? data.graphs.batch(rows.map((r) => data.graphIndex[r]!)) : null;
  let molFeatures: Float32Array | null = null;
  if (data.molFeatures) {
    const d = data.molFeatureDim;
    molFeatures = new Float32Array(rows.length * d);
    rows.forEach((r, k) => {
      molFeatures!.set(data.molFeatures!.subarray(r * d, (r + 1) * d), k * d);
    });
  }
  return { graphs, molFeatures, size: rows.length };
}

/**
 * The training batches of one epoch's row order: consecutive slices of `batchSize`, except that a
 * last batch holding a single atom in all (one single-atom molecule) joins the previous batch —
 * batch norm cannot normalize one row (torch fails there too).
 */
export function trainingBatches(data: TaskData, order: readonly number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  const g = data.graphs;
  const last = batches[batches.length - 1];
  if (g && last && batches.length > 1) {
    const offsets = g.packed.atomOffsets;
    let atoms = 0;
    for (const r of last) {
      const k = data.graphIndex[r]!;
      atoms += offsets[k + 1]! - offsets[k]!;
    }
    if (atoms < 2) batches[batches.length - 2]!.push(...(batches.pop() as number[]));
  }
  return batches;
}

/** Targets of dataset rows `rows`, row-major rows × tasks (NaN = missing). */
export function targetsOf(data: TaskData, rows: readonly number[]): Float32Array {
  const T = data.dataset.taskNames.length;
  const out = new Float32Array(rows.length * T);
  rows.forEach((r, k) => {
    out.set(data.dataset.targets.subarray(r * T, (r + 1) * T), k * T);
  });
  return out;
}

/**
 * chemprop's StandardScaler on training targets: per-task mean and population std over present
 * labels; a task with zero spread (or no labels) gets std 1 and mean 0 where undefined.
 */
export function fitScaler(targets: Float32Array, tasks: number): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let t = 0; t < tasks; t++) {
    let n = 0;
    let s = 0;
    for (let i = t; i < targets.length; i += tasks) {
      const y = targets[i]!;
      if (!Number.isNaN(y)) {
        n++;
        s += y;
      }
    }
    const m = n > 0 ? s / n : 0;
    let v = 0;
    for (let i = t; i < targets.length; i += tasks) {
      const y = targets[i]!;
      if (!Number.isNaN(y)) v += (y - m) * (y - m);
    }
    const sd = n > 0 ? Math.sqrt(v / n) : 0;
    mean.push(m);
    std.push(sd > 0 ? sd : 1);
  }
  return { mean, std };
}

/** Standardizes targets in place (NaN stays NaN). */
export function scaleTargets(
  targets: Float32Array,
  scaler: { readonly mean: readonly number[]; readonly std: readonly number[] },
): Float32Array {
  const T = scaler.mean.length;
  for (let i = 0; i < targets.length; i++)
    targets[i] = (targets[i]! - scaler.mean[i % T]!) / scaler.std[i % T]!;
  return targets;
}
