/**
 * `molgrove evaluate`: score a saved model (or a run directory's ensemble) on a dataset, or on one
 * part of a split computed exactly as `molgrove finetune` computes it, and print per-task scores
 * and their mean.
 */
import { type Command, Option } from 'commander';
import { subsetDataset } from '../data/dataset.js';
import { splitDataset } from '../data/splits/index.js';
import { ConfigError } from '../errors.js';
import { evaluate, getMetric } from '../metrics/index.js';
import { addDatasetOptions, type DatasetCliOptions, loadDatasetFromOptions } from './dataset-options.js';
import { loadModels, parseBatchSize, predictEnsemble, readMolFeatures } from './model-io.js';
import { printJson, printTable } from './output.js';
import { parseSeed, parseSizes } from './split.js';

const PARTS = ['train', 'valid', 'test', 'all'] as const;
type Part = (typeof PARTS)[number];

interface EvaluateCliOptions extends DatasetCliOptions {
  model: string;
  split?: string;
  splitSeed: string;
  sizes: string;
  part?: Part;
  metric?: string;
  batchSize?: string;
  molFeaturesFile?: string;
  json?: boolean;
}

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description(
      'Score a saved model on a dataset or one part of its split; prints per-task scores and the mean',
    )
    .requiredOption(
      '--model <path>',
      'model file (seed-<s>/model.mgv) or a run directory: every seed, averaged',
    );
  addDatasetOptions(cmd)
    .option('--split <method>', 'split the dataset as finetune does and score one part (see --part)')
    .option('--split-seed <n>', 'split seed', '0')
    .option('--sizes <a,b,c>', 'train,valid,test fractions', '0.8,0.1,0.1')
    .addOption(
      new Option('--part <part>', 'the part scored (default: test with --split, else all)').choices(PARTS),
    )
    .option('--metric <name>', "metric (default: the model's training metric, else the dataset's)")
    .option('--batch-size <n>', 'molecules per batch (default 256)')
    .option('--mol-features-file <csv>', 'molecule features, rows aligned with the dataset')
    .option('--json', 'print the scores as JSON')
    .action(async (opts: EvaluateCliOptions) => {
      await runEvaluate(opts);
    });
}

async function runEvaluate(opts: EvaluateCliOptions): Promise<void> {
  const batchSize = parseBatchSize(opts.batchSize);
  const { models, paths } = await loadModels(opts.model);
  const { spec } = models[0]!.model;
  const full = await loadDatasetFromOptions(opts);
  if (full.taskNames.join('\u0000') !== spec.taskNames.join('\u0000'))
    throw new ConfigError(
      `dataset '${full.name}' has tasks [${full.taskNames.join(', ')}] but the model ${paths[0]} predicts ` +
        `[${spec.taskNames.join(', ')}] (choose the columns with --target-columns)`,
    );
  const trained = models[0]!.info['metric'];
  const metricName =
    opts.metric ??
    (typeof trained === 'string' ? trained : null) ??
    full.metric ??
    (spec.taskType === 'regression' ? 'rmse' : 'roc-auc');
  const metric = getMetric(metricName);
  if (metric.taskType !== spec.taskType)
    throw new ConfigError(
      `--metric ${metric.name} is a ${metric.taskType} metric but the model is ${spec.taskType}`,
    );

  // Molecule features align with the whole file, so they are read before taking a part.
  const allFeatures = await readMolFeatures(opts.molFeaturesFile, full.smiles);
  const part: Part = opts.part ?? (opts.split === undefined ? 'all' : 'test');
  let rows: number[];
  if (part === 'all') {
    rows = full.smiles.map((_, i) => i);
  } else {
    if (opts.split === undefined) throw new ConfigError(`--part ${part} needs --split <method>`);
    const split = await splitDataset(full, opts.split, {
      seed: parseSeed(opts.splitSeed),
      sizes: parseSizes(opts.sizes),
    });
    rows = [...split[part]];
  }
  const ds = subsetDataset(full, rows);
  let molFeatures: Float32Array | undefined;
  const mf = allFeatures.molFeatures;
  if (mf) {
    const dim = mf.length / Math.max(full.smiles.length, 1);
    molFeatures = new Float32Array(rows.length * dim);
    rows.forEach((r, k) => {
      molFeatures!.set(mf.subarray(r * dim, (r + 1) * dim), k * dim);
    });
  }
  const res = await predictEnsemble(models, ds.smiles, {
    batchSize,
    ...(molFeatures ? { molFeatures } : {}),
    source: full.source,
  });

  // Rows the model cannot read are left out of the score (as finetune leaves out invalid rows).
  const T = spec.taskNames.length;
  const ok = ds.smiles.map((_, i) => i).filter((i) => res.errors[i] === null);
  const failed = ds.smiles.length - ok.length;
  if (failed > 0)
    process.stderr.write(`molgrove: ${failed} rows could not be featurized and are not scored\n`);
  if (ok.length === 0) throw new ConfigError(`no scorable rows in the ${part} part of '${full.name}'`);
  const yTrue = new Float32Array(ok.length * T);
  const yPred = new Float32Array(ok.length * T);
  ok.forEach((i, k) => {
    yTrue.set(ds.targets.subarray(i * T, (i + 1) * T), k * T);
    yPred.set(res.values.subarray(i * T, (i + 1) * T), k * T);
  });
  const score = evaluate(metric.name, yTrue, yPred, T);

  const summary = {
    model: opts.model,
    models: models.length,
    dataset: full.name,
    split: opts.split ?? null,
    part,
    metric: metric.name,
    rows: ok.length,
    failed,
    mean: score.mean,
    perTask: Object.fromEntries(spec.taskNames.map((t, i) => [t, score.perTask[i] ?? null])),
    skipped: score.skipped.map((i) => spec.taskNames[i]!),
  };
  if (opts.json) {
    printJson(summary);
    return;
  }
  const fmt = (x: number | null): string => (x === null ? 'skipped' : Number.isNaN(x) ? 'nan' : x.toFixed(4));
  process.stdout.write(
    `${full.name} | ${part}${opts.split ? ` (${opts.split} split, seed ${opts.splitSeed})` : ''} | ` +
      `${ok.length} rows | ${models.length === 1 ? '1 model' : `mean of ${models.length} models`}\n`,
  );
  printTable(
    ['task', metric.name],
    spec.taskNames.map((t, i) => [t, fmt(score.perTask[i] ?? null)]),
  );
  process.stdout.write(`mean ${metric.name}: ${fmt(score.mean)}\n`);
}
