/**
 * `molgrove predict`: run a saved model (or every seed of a run directory, averaged) on the SMILES
 * of a table and write one row per input row: smiles, one column per task, and an `error` column
 * that names the reason when a row could not be predicted (its prediction cells stay empty).
 */
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/atomic.js';
import {
  addInputOptions,
  loadModels,
  parseBatchSize,
  predictEnsemble,
  readMolFeatures,
  readSmilesInput,
} from './model-io.js';

interface PredictCliOptions {
  model: string;
  input: string;
  out: string;
  smilesColumn?: string;
  batchSize?: string;
  molFeaturesFile?: string;
}

export function registerPredict(program: Command): void {
  const cmd = program
    .command('predict')
    .description('Predict properties of new molecules with a saved model or a run directory (ensemble)')
    .requiredOption(
      '--model <path>',
      'model file (seed-<s>/model.mgv) or a run directory: every seed, averaged',
    )
    .requiredOption('--input <file>', 'CSV/TSV/.smi file of molecules')
    .requiredOption('--out <file>', 'CSV to write: smiles, one column per task, error');
  addInputOptions(cmd);
  cmd.action(async (opts: PredictCliOptions) => {
    await runPredict(opts);
  });
}

/**
 * smiles, one column per task, error. A task named like one of the two fixed columns gets a
 * `_pred` suffix, so every column name stays unique.
 */
export function predictionHeader(taskNames: readonly string[]): string[] {
  const fixed = new Set(['smiles', 'error']);
  return ['smiles', ...taskNames.map((t) => (fixed.has(t.toLowerCase()) ? `${t}_pred` : t)), 'error'];
}

async function runPredict(opts: PredictCliOptions): Promise<void> {
  const batchSize = parseBatchSize(opts.batchSize);
  const { models } = await loadModels(opts.model);
  const input = await readSmilesInput(opts.input, opts.smilesColumn);
  const features = await readMolFeatures(opts.molFeaturesFile, input.smiles);
  const res = await predictEnsemble(models, input.smiles, { batchSize, ...features, source: opts.input });
  const taskNames = models[0]!.model.spec.taskNames;
  const w = res.width;
  const rows = input.smiles.map((s, i) => {
    const err = res.errors[i] ?? null;
    const cells = Array.from({ length: w }, (_, t) => (err === null ? String(res.values[i * w + t]) : ''));
    return [s, ...cells, err ?? ''];
  });
  await writeFileAtomic(opts.out, stringify([predictionHeader(taskNames), ...rows]));
  const failed = res.errors.filter((e) => e !== null).length;
  const used = models.length === 1 ? '1 model' : `mean of ${models.length} models`;
  process.stdout.write(
    `predicted ${input.smiles.length - failed} rows, ${failed} failed (${used}) -> ${opts.out}\n`,
  );
}
