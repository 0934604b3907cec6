/**
 * The dataset options every data-consuming verb shares (featurize, split, finetune, …):
 * `--dataset <name>` for a registry entry or `--csv <path>` for a user file, plus column/task overrides.
 */
import { existsSync, statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parseColumnList } from '../data/csv.js';
import { loadCsvDataset, loadDataset, type MoleculeDataset } from '../data/dataset.js';
import type { ResolveOptions } from '../data/fetch.js';
import { getDatasetSpec, type TaskType } from '../data/registry.js';
import { ConfigError } from '../errors.js';

/** The parsed option values as commander hands them over (camelCase). */
export interface DatasetCliOptions {
  dataset?: string | undefined;
  csv?: string | undefined;
  smilesColumn?: string | undefined;
  targetColumns?: string | undefined;
  taskType?: string | undefined;
  offline?: boolean | undefined;
}

const TASK_TYPES = ['classification', 'regression', 'unlabelled'] as const;

/** Adds --dataset, --csv, --smiles-column, --target-columns, --task-type and --offline to `cmd`. */
export function addDatasetOptions(cmd: Command): Command {
  return cmd
    .option('--dataset <name>', "registry dataset, e.g. bbbp, tox21, grover-esol (see 'molgrove datasets')")
    .option('--csv <path>', 'your own CSV/TSV/SMILES file (.gz ok) instead of --dataset')
    .option(
      '--smiles-column <name>',
      "column holding SMILES (default for --csv: 'smiles' if present, else the first column)",
    )
    .option(
      '--target-columns <a,b,...>',
      'comma-separated target columns, CSV-quoted when a name holds a comma ' +
        '(default for --csv: every column except the SMILES column)',
    )
    .addOption(
      new Option(
        '--task-type <type>',
        "task type (default: the registry entry's; for --csv inferred: all labels 0/1 → classification)",
      ).choices(TASK_TYPES),
    )
    .option('--offline', 'never download; read datasets only from MOLGROVE_DATA_DIR or the cache');
}

function taskTypeOption(value: string | undefined): TaskType | undefined {
  if (value === undefined) return undefined;
  if ((TASK_TYPES as readonly string[]).includes(value)) return value as TaskType;
  throw new ConfigError(`invalid --task-type '${value}'; choose one of: ${TASK_TYPES.join(', ')}`);
}

/**
 * Validates the options (exactly one of --dataset/--csv; known names; existing file) and loads the
 * dataset. Usage mistakes are ConfigErrors (exit code 2); bad data is a DatasetError (exit code 1).
 */
export async function loadDatasetFromOptions(
  opts: DatasetCliOptions,
  resolveOptions: ResolveOptions = {},
): Promise<MoleculeDataset> {
  const hasDataset = opts.dataset !== undefined && opts.dataset !== '';
  const hasCsv = opts.csv !== undefined && opts.csv !== '';
  if (hasDataset === hasCsv) {
    throw new ConfigError(
      hasDataset
        ? 'give either --dataset or --csv, not both'
        : "give a dataset: --dataset <name> (see 'molgrove datasets') or --csv <path>",
    );
  }
  const taskType = taskTypeOption(opts.taskType);
  const targetColumns =
    opts.targetColumns === undefined ? undefined : parseColumnList(opts.targetColumns, '--target-columns');
  const resolve: ResolveOptions = opts.offline ? { ...resolveOptions, offline: true } : resolveOptions;

  if (hasDataset) {
    const spec = getDatasetSpec(opts.dataset!);
    return loadDataset(spec, {
      ...resolve,
      ...(opts.smilesColumn !== undefined ? { smilesColumn: opts.smilesColumn } : {}),
      ...(targetColumns !== undefined ? { targetColumns } : {}),
      ...(taskType !== undefined ? { taskType } : {}),
    });
  }

  const path = opts.csv!;
  if (!existsSync(path)) throw new ConfigError(`--csv: no such file: ${path}`);
  if (!statSync(path).isFile()) throw new ConfigError(`--csv: not a file: ${path}`);
  return loadCsvDataset({
    path,
    ...(opts.smilesColumn !== undefined ? { smilesColumn: opts.smilesColumn } : {}),
    ...(targetColumns !== undefined ? { targetColumns } : {}),
    ...(taskType !== undefined ? { taskType } : {}),
  });
}
