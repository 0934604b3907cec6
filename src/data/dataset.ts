/**
 * MoleculeDataset: SMILES plus a dense row-major target matrix, loaded from a registry entry or any
 * CSV. Missing labels are NaN; a label that is not a number fails with file, line and column.
 */
import { ConfigError, DatasetError } from '../errors.js';
import { defaultSmilesColumn, findColumn, readCsv, type TableFormat } from './csv.js';
import { type ResolveOptions, resolveDatasetFile } from './fetch.js';
import { type DatasetMetric, type DatasetSpec, getDatasetSpec, type TaskType } from './registry.js';

export interface MoleculeDataset {
  /** Registry name, or the file's base name for a user CSV. */
  readonly name: string;
  /** Absolute or given path of the file read. */
  readonly source: string;
  /** SMILES in file order: index i is 0-based data row i (header and blank lines excluded). */
  readonly smiles: string[];
  readonly taskNames: string[];
  readonly taskType: TaskType;
  readonly metric: DatasetMetric | null;
  /** Row-major n×T labels (T = taskNames.length); NaN = missing label. */
  readonly targets: Float32Array;
}

export interface LoadCsvOptions {
  path: string;
  /** Dataset name (default: the file name without extensions). */
  name?: string;
  /** Default `smiles` if present (also case-insensitively), else the first column (GROVER convention). */
  smilesColumn?: string;
  /** Default: every column except the SMILES column (none when taskType is `unlabelled`). */
  targetColumns?: readonly string[];
  /**
   * `auto` (default) infers: no targets → unlabelled; every label 0/1 → classification; else regression.
   * `classification` additionally requires every present label to be 0 or 1.
   */
  taskType?: TaskType | 'auto';
  /** Default: auc for classification, rmse for regression, null for unlabelled. */
  metric?: DatasetMetric | null;
  /** Override the format implied by the file extension. */
  format?: TableFormat;
}

export interface LoadDatasetOptions extends ResolveOptions {
  /** Override the registry's SMILES column. */
  smilesColumn?: string;
  /** Use these columns instead of the registry's task columns (task type then defaults to `auto`). */
  targetColumns?: readonly string[];
  taskType?: TaskType | 'auto';
  metric?: DatasetMetric | null;
}

const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The metric a task type gets when nothing else says. */
export function defaultMetric(taskType: TaskType): DatasetMetric | null {
  if (taskType === 'classification') return 'auc';
  if (taskType === 'regression') return 'rmse';
  return null;
}

function describeHeader(header: readonly string[]): string {
  const shown = header.slice(0, 40).map((h) => JSON.stringify(h));
  return header.length > 40 ? `${shown.join(', ')}, … (${header.length - 40} more)` : shown.join(', ');
}

function baseName(path: string): string {
  const file = path.split(/[\\/]/).pop() ?? path;
  return file.replace(/\.gz$/i, '').replace(/\.[^.]+$/, '') || file;
}

function columnIndex(header: readonly string[], name: string, what: string, source: string): number {
  const i = findColumn(header, name);
  if (i < 0) {
    throw new ConfigError(
      `${source}: no ${what} column '${name}'; the header has: ${describeHeader(header)}`,
    );
  }
  return i;
}

/** Loads a CSV/TSV/SMILES file (gzipped or not) as a MoleculeDataset. */
export async function loadCsvDataset(options: LoadCsvOptions): Promise<MoleculeDataset> {
  const { path } = options;
  const table = await readCsv(path, options.format === undefined ? {} : { format: options.format });
  const { header, rows, lines } = table;

  const smilesName = options.smilesColumn ?? defaultSmilesColumn(header);
  const smilesIdx = columnIndex(header, smilesName, 'SMILES', path);

  const requested = options.taskType ?? 'auto';
  const targetsDefaulted = options.targetColumns === undefined;
  let targetIdx: number[];
  if (options.targetColumns !== undefined) {
    if (requested === 'unlabelled' && options.targetColumns.length > 0) {
      throw new ConfigError('target columns were given for an unlabelled dataset');
    }
    targetIdx = options.targetColumns.map((c) => columnIndex(header, c, 'target', path));
    if (targetIdx.includes(smilesIdx)) {
      throw new ConfigError(`column '${header[smilesIdx]}' is both the SMILES column and a target column`);
    }
    const seen = new Set<number>();
    for (const [k, i] of targetIdx.entries()) {
      if (seen.has(i)) throw new ConfigError(`target column '${options.targetColumns[k]}' is given twice`);
      seen.add(i);
    }
  } else if (requested === 'unlabelled' || table.format === 'smi') {
    targetIdx = [];
  } else {
    targetIdx = header.map((_, i) => i).filter((i) => i !== smilesIdx);
  }
  if ((requested === 'classification' || requested === 'regression') && targetIdx.length === 0) {
    throw new ConfigError(
      `${path}: a ${requested} dataset needs target columns; the header has only the SMILES column`,
    );
  }

  const n = rows.length;
  const T = targetIdx.length;
  const smiles = new Array<string>(n);
  const targets = new Float32Array(n * T);
  let binary = true;
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    const s = row[smilesIdx]!.trim();
    if (s === '') {
      throw new DatasetError(
        `${path} line ${lines[r]}: empty SMILES in column '${header[smilesIdx]}' (row ${r})`,
      );
    }
    smiles[r] = s;
    for (let t = 0; t < T; t++) {
      const c = targetIdx[t]!;
      const text = row[c]!.trim();
      let v: number;
      if (MISSING.has(text.toLowerCase())) v = Number.NaN;
      else if (NUMBER.test(text)) v = Number(text);
      else {
        throw new DatasetError(
          `${path} line ${lines[r]}, column ${c + 1} '${header[c]}': label ${JSON.stringify(text)} is not a number` +
            (targetsDefaulted
              ? ' (targets default to every non-SMILES column; choose them with --target-columns / targetColumns)'
              : ''),
        );
      }
      if (!Number.isNaN(v) && v !== 0 && v !== 1) {
        if (requested === 'classification') {
          throw new DatasetError(
            `${path} line ${lines[r]}, column ${c + 1} '${header[c]}': classification label ${JSON.stringify(text)} ` +
              'is not 0 or 1 (use task type regression for continuous targets)',
          );
        }
        binary = false;
      }
      targets[r * T + t] = v;
    }
  }

  const taskType: TaskType =
    requested !== 'auto' ? requested : T === 0 ? 'unlabelled' : binary ? 'classification' : 'regression';
  return {
    name: options.name ?? baseName(path),
    source: path,
    smiles,
    taskNames: targetIdx.map((i) => header[i]!),
    taskType,
    metric: options.metric !== undefined ? options.metric : defaultMetric(taskType),
    targets,
  };
}

/**
 * Loads a registry dataset by name/alias (or spec), resolving its file through the mirror, the cache
 * or a verified download.
 */
export async function loadDataset(
  nameOrSpec: string | DatasetSpec,
  options: LoadDatasetOptions = {},
): Promise<MoleculeDataset> {
  const spec = typeof nameOrSpec === 'string' ? getDatasetSpec(nameOrSpec) : nameOrSpec;
  const path = await resolveDatasetFile(spec, options);
  const taskType = options.taskType ?? (options.targetColumns !== undefined ? 'auto' : spec.taskType);
  const ds = await loadCsvDataset({
    path,
    name: spec.name,
    smilesColumn: options.smilesColumn ?? spec.smilesColumn,
    targetColumns: options.targetColumns ?? spec.taskColumns,
    taskType,
    ...(options.metric !== undefined ? { metric: options.metric } : {}),
  });
  if (options.metric === undefined && ds.taskType === spec.taskType) return { ...ds, metric: spec.metric };
  return ds;
}

/** The rows `indices` of a dataset (in that order), e.g. one split. */
export function subsetDataset(ds: MoleculeDataset, indices: ArrayLike<number>): MoleculeDataset {
  const T = ds.taskNames.length;
  const n = ds.smiles.length;
  const smiles = new Array<string>(indices.length);
  const targets = new Float32Array(indices.length * T);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new DatasetError(`row index ${i} out of range for dataset '${ds.name}' of ${n} rows`);
    }
    smiles[k] = ds.smiles[i]!;
    targets.set(ds.targets.subarray(i * T, (i + 1) * T), k * T);
  }
  return { ...ds, smiles, targets };
}

/** Label of row `row`, task `task` (NaN when missing). */
export function targetAt(ds: MoleculeDataset, row: number, task: number): number {
  return ds.targets[row * ds.taskNames.length + task] ?? Number.NaN;
}
