/**
 * What the model-consuming verbs (predict, evaluate, fingerprint) share: loading one model file or
 * every seed of a run directory, reading the SMILES of an input table, and running the ensemble.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultSmilesColumn, findColumn, readCsv } from '../data/csv.js';
import { loadFeatureFile } from '../data/mol-features.js';
import { ConfigError } from '../errors.js';
import type { DecodedModel } from '../models/model-file.js';
import { loadModelFile } from '../models/model-file-node.js';
import { type InferenceResult, predictSmiles } from '../train/inference.js';

export interface LoadedModels {
  readonly models: readonly DecodedModel[];
  /** The model files, in the order of `models`. */
  readonly paths: readonly string[];
}

/**
 * `--model`: a .mgv file, or a fine-tune run directory whose seed-<s>/model.mgv files form an
 * ensemble (as chemprop/GROVER predict over a checkpoint directory).
 */
export async function loadModels(path: string | undefined): Promise<LoadedModels> {
  if (path === undefined || path === '') throw new ConfigError('give a model: --model <file.mgv | run dir>');
  if (!existsSync(path)) throw new ConfigError(`--model: no such file or directory: ${path}`);
  let paths: string[];
  if (statSync(path).isDirectory()) {
    const seedNum = (name: string): number => Number(name.slice('seed-'.length));
    paths = readdirSync(path)
      .filter((name) => /^seed-\d+$/.test(name) && existsSync(join(path, name, 'model.mgv')))
      .sort((a, b) => seedNum(a) - seedNum(b))
      .map((name) => join(path, name, 'model.mgv'));
    if (paths.length === 0)
      throw new ConfigError(`--model: ${path} holds no seed-*/model.mgv (is the run finished?)`);
  } else {
    paths = [path];
  }
  const models: DecodedModel[] = [];
  for (const p of paths) models.push(await loadModelFile(p));
  const first = models[0]!.model.spec;
  models.forEach((m, i) => {
    const s = m.model.spec;
    if (s.taskType !== first.taskType || s.taskNames.join('\u0000') !== first.taskNames.join('\u0000'))
      throw new ConfigError(
        `--model: ${paths[i]} predicts ${s.taskType} [${s.taskNames.join(', ')}] but ${paths[0]} ` +
          `predicts ${first.taskType} [${first.taskNames.join(', ')}]; an ensemble needs the same tasks`,
      );
  });
  return { models, paths };
}

export interface SmilesInput {
  readonly smiles: string[];
  /** 1-based physical line of each row, for messages. */
  readonly lines: number[];
}

/** The SMILES column of a CSV/TSV/.smi file (default column as for datasets: `smiles`, else the first). */
export async function readSmilesInput(path: string, column: string | undefined): Promise<SmilesInput> {
  if (!existsSync(path)) throw new ConfigError(`--input: no such file: ${path}`);
  const table = await readCsv(path);
  const name = column ?? defaultSmilesColumn(table.header);
  const idx = findColumn(table.header, name);
  if (idx < 0)
    throw new ConfigError(`${path}: no SMILES column '${name}'; header: ${table.header.join(', ')}`);
  return { smiles: table.rows.map((r) => (r[idx] ?? '').trim()), lines: table.lines };
}

/** `--mol-features-file`: rows aligned with `smiles`, for models trained on a feature file. */
export async function readMolFeatures(
  path: string | undefined,
  smiles: readonly string[],
): Promise<{ molFeatures?: Float32Array }> {
  if (path === undefined) return {};
  if (!existsSync(path)) throw new ConfigError(`--mol-features-file: no such file: ${path}`);
  return { molFeatures: (await loadFeatureFile(path, { smiles })).data };
}

export function parseBatchSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new ConfigError(`--batch-size needs a positive integer, got '${value}'`);
  return Number(value);
}

/**
 * Mean prediction of the models; a row fails when any model fails on it (with one preset per run
 * the models fail on the same rows anyway).
 */
export async function predictEnsemble(
  models: readonly DecodedModel[],
  smiles: readonly string[],
  options: { batchSize?: number | undefined; molFeatures?: Float32Array; source: string },
): Promise<InferenceResult> {
  const opts = {
    source: options.source,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.molFeatures ? { molFeatures: options.molFeatures } : {}),
  };
  let sum: Float32Array | null = null;
  let width = 0;
  const errors: (string | null)[] = smiles.map(() => null);
  for (const { model } of models) {
    const r = await predictSmiles(model, smiles, opts);
    width = r.width;
    r.errors.forEach((e, i) => {
      if (e !== null && errors[i] === null) errors[i] = e;
    });
    if (sum === null) sum = r.values.slice();
    else for (let i = 0; i < sum.length; i++) sum[i]! += r.values[i]!;
  }
  const values = sum ?? new Float32Array(0);
  if (models.length > 1) for (let i = 0; i < values.length; i++) values[i]! /= models.length;
  errors.forEach((e, i) => {
    if (e !== null) values.fill(Number.NaN, i * width, (i + 1) * width);
  });
  return { values, width, errors };
}

/** The options every verb that reads molecules for a saved model shares. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .option(
      '--smiles-column <name>',
      "SMILES column of --input (default: 'smiles' if present, else the first)",
    )
    .option('--batch-size <n>', 'molecules per batch (default 256)')
    .option(
      '--mol-features-file <csv>',
      'molecule features, rows aligned with --input (models trained on a file)',
    );
}
