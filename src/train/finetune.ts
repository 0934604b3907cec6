// Fine-tuning over seeds: loads and featurizes the data once, splits it per split seed exactly as
// `molgrove split` does, trains each seed in its own folder (resumable, see fit.ts), and aggregates
// mean ± std of the test score at each seed's best-validation epoch.
//
// Run directory: config.json (resolved), invalid.csv (rows dropped), seed-<s>/{split.json,
// checkpoint.mgck, epochs.jsonl, model.mgv, result.json}, results.json and results.csv.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { loadRDKit } from '../chem/rdkit.js';
import type { MoleculeDataset } from '../data/dataset.js';
import { getMolFeatureGenerator, loadFeatureFile } from '../data/mol-features.js';
import { formatSplitJson, type SplitResult, splitDataset } from '../data/splits/index.js';
import { ConfigError, InvalidSmilesError } from '../errors.js';
import { getMetric, type MetricInfo } from '../metrics/index.js';
import type { DecodedEncoder, EncoderDescription } from '../models/encoder-file.js';
import { groverFactory, groverOptionsOf } from '../models/encoders/grover.js';
import { DEFAULT_ENCODER_OPTIONS, type EncoderOptions, getEncoder } from '../models/encoders/registry.js';
import { inputSpecFor } from '../models/inputs.js';
import { loadEncoderFile } from '../models/model-file-node.js';
import { getReadout } from '../models/readout.js';
import type { ModelSpec } from '../models/spec.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { type FinetuneConfig, FinetuneConfigSchema } from './config.js';
import {
  fitScaler,
  loadConfigDataset,
  type MolFeatureSource,
  prepareTaskData,
  type TaskData,
  targetsOf,
  usableRows,
} from './data.js';
import { withEncoderDigest } from './encoder-digest.js';
import type { EventSink, SeedResult } from './events.js';
import { trainSeed } from './fit.js';
import { runSeedsInWorkers } from './seed-pool.js';

/** The fingerprint-only baseline's alias: no graph encoder, ECFP → MLP. */
export const FINGERPRINT_ARCH = 'ecfp';

export interface FinetuneSummary {
  readonly dataset: string;
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly arch: string;
  readonly features: string;
  readonly split: string;
  readonly seeds: readonly SeedResult[];
  readonly test: { readonly mean: number; readonly std: number };
  readonly valid: { readonly mean: number; readonly std: number };
  readonly secondsPerEpoch: number;
  readonly invalidRows: number;
}

export interface FinetuneOptions {
  readonly onEvent?: EventSink;
  readonly signal?: AbortSignal;
  /** Feature-cache behaviour (tests turn it off). */
  readonly noCache?: boolean;
  /**
   * Seeds trained at once, each in a worker thread with single-threaded kernels; 1 trains them one
   * after the other with the engine's threads. Default: defaultJobs(seeds). Results are identical.
   */
  readonly jobs?: number;
}

/** Mean and population std (ddof 0, NumPy's default, as Hu et al.'s and GROVER's scripts report). */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const v = xs.filter((x) => !Number.isNaN(x));
  if (v.length === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) * (b - mean), 0) / v.length);
  return { mean, std };
}

/** Molecule features for a config: a generator alias, a file, or none. */
function molFeatureSource(config: FinetuneConfig): MolFeatureSource | undefined {
  if (config.molFeaturesFile !== undefined) {
    const path = config.molFeaturesFile;
    return async (ds) => {
      const m = await loadFeatureFile(path, { smiles: ds.smiles });
      return { data: m.data, dim: m.dim };
    };
  }
  const name = config.molFeatures ?? (config.arch === FINGERPRINT_ARCH ? 'morgan' : null);
  if (name === null) return undefined;
  const gen = getMolFeatureGenerator(name);
  return async (ds) => {
    await loadRDKit();
    const data = new Float32Array(ds.smiles.length * gen.dim);
    ds.smiles.forEach((s, row) => {
      try {
        data.set(gen.compute(s, { row, source: ds.source }), row * gen.dim);
      } catch (e) {
        if (!(e instanceof InvalidSmilesError) || !config.skipInvalid) throw e;
        data.fill(Number.NaN, row * gen.dim, (row + 1) * gen.dim);
      }
    });
    return { data, dim: gen.dim };
  };
}

/** The model a config describes, for this data and (regression) target scaler. */
export function specFor(
  config: FinetuneConfig,
  data: TaskData,
  scaler: ModelSpec['scaler'],
  pretrained: EncoderDescription | null = null,
): ModelSpec {
  const taskType = data.dataset.taskType;
  if (taskType !== 'classification' && taskType !== 'regression')
    throw new ConfigError(`cannot fine-tune on a dataset of type ${taskType}`);
  const molFeatures =
    data.molFeatures === null
      ? null
      : {
          generator: config.molFeaturesFile ? 'file' : (config.molFeatures ?? 'morgan'),
          dim: data.molFeatureDim,
        };
  const common = {
    readout: {
      kind: getReadout(config.readout).name,
      attnHidden: config.attnHidden,
      attnOut: config.attnOut,
    },
    molFeatures,
    taskType,
    taskNames: data.dataset.taskNames,
    scaler: taskType === 'regression' ? scaler : null,
  } as const;
  if (config.arch === FINGERPRINT_ARCH) {
    return {
      ...common,
      encoder: null,
      featurizer: null,
      input: null,
      head: {
        layers: config.ffnLayers,
        hidden: config.ffnHidden ?? 1000,
        dropout: config.ffnDropout,
        act: 'relu',
      },
    };
  }
  const given: Partial<EncoderOptions> = {
    ...(config.hidden !== undefined ? { dim: config.hidden } : {}),
    ...(config.layers !== undefined ? { layers: config.layers } : {}),
    ...(config.dropout !== undefined ? { dropout: config.dropout } : {}),
    ...(config.jk !== undefined ? { jk: config.jk } : {}),
    ...(config.norm !== undefined ? { norm: config.norm } : {}),
    ...(config.act !== undefined ? { act: config.act } : {}),
    ...(config.heads !== undefined ? { heads: config.heads } : {}),
  };
  // A pretrained encoder keeps its architecture; only its dropout is a fine-tuning choice.
  const arch = pretrained ? pretrained.arch : getEncoder(config.arch).name;
  const chosen: EncoderOptions = pretrained
    ? { ...pretrained.options, ...(config.dropout !== undefined ? { dropout: config.dropout } : {}) }
    : { ...DEFAULT_ENCODER_OPTIONS, ...getEncoder(config.arch).defaults, ...given };
  // GROVER's spec carries its full options (attention, hop sampling, …), with the chosen dropout.
  const options: EncoderOptions =
    arch === groverFactory.name
      ? { ...chosen, grover: { ...groverOptionsOf(chosen), dropout: chosen.dropout } }
      : chosen;
  const g = data.graphs!;
  return {
    ...common,
    encoder: { arch, options },
    featurizer: pretrained ? pretrained.featurizer : config.features,
    input: pretrained ? pretrained.input : inputSpecFor(config.features, g.atomDim, g.bondDim),
    head: {
      layers: config.ffnLayers,
      hidden: config.ffnHidden ?? options.dim,
      dropout: config.ffnDropout,
      act: options.act,
    },
  };
}

/** Where a run folder records the digest of its `from` encoder (encoder-digest.ts). */
const FROM_DIGEST_FILE = 'from.sha256';

/**
 * Writes the resolved config, refusing to reuse a folder that holds a run with another config. The
 * encoder counts by its bytes, not its path: the folder records their digest beside config.json.
 */
async function claimRunDir(outDir: string, config: FinetuneConfig): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, 'config.json');
  const digestPath = join(outDir, FROM_DIGEST_FILE);
  const { seeds: _a, ...mine } = withEncoderDigest(config);
  if (existsSync(path)) {
    // Re-read through the schema: options added since, at their defaults, are no difference.
    const stored = FinetuneConfigSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    const known = existsSync(digestPath) ? readFileSync(digestPath, 'utf8').trim() : null;
    const theirs = stored.success
      ? (({ seeds: _b, ...rest }) => rest)(withEncoderDigest(stored.data, known))
      : null;
    if (JSON.stringify(theirs) !== JSON.stringify(mine)) {
      throw new ConfigError(
        `${outDir} holds a run with a different configuration (see its config.json); choose another --out`,
      );
    }
  }
  if (mine.from !== undefined && mine.from !== config.from)
    await writeFileAtomic(digestPath, `${mine.from}\n`);
  await writeJsonAtomic(path, config);
}

/** What every seed of a run shares: the dataset, its featurized data and the metric. */
export interface RunContext {
  readonly config: FinetuneConfig;
  readonly outDir: string;
  readonly dataset: MoleculeDataset;
  readonly data: TaskData;
  readonly metric: MetricInfo;
  /** Splits computed so far, by split seed. */
  readonly splits: Map<number, SplitResult>;
  /** The encoder to start from (config.from), or null. */
  readonly pretrained: DecodedEncoder | null;
}

/** Loads and featurizes (through the cache) the data of a run. */
export async function prepareRun(
  config: FinetuneConfig,
  outDir: string,
  options: { readonly noCache?: boolean } = {},
): Promise<RunContext> {
  if (config.from !== undefined && config.arch === FINGERPRINT_ARCH)
    throw new ConfigError(`--from gives a graph encoder; the '${FINGERPRINT_ARCH}' model has none`);
  const pretrained = config.from === undefined ? null : await loadEncoderFile(config.from);
  const dataset = await loadConfigDataset(config);
  const metricName =
    config.metric ?? dataset.metric ?? (dataset.taskType === 'regression' ? 'rmse' : 'roc-auc');
  const metric = getMetric(metricName);
  const molFeatures = molFeatureSource(config);
  const data = await prepareTaskData(dataset, {
    featurizer: pretrained
      ? pretrained.description.featurizer
      : config.arch === FINGERPRINT_ARCH
        ? null
        : config.features,
    skipInvalid: config.skipInvalid,
    ...(molFeatures ? { molFeatures } : {}),
    ...(options.noCache ? { noCache: true } : {}),
  });
  return { config, outDir, dataset, data, metric, splits: new Map(), pretrained };
}

/** Trains (or resumes, or reuses) one seed of a prepared run in `<outDir>/seed-<seed>`. */
export async function runSeed(
  ctx: RunContext,
  seed: number,
  options: Pick<FinetuneOptions, 'onEvent' | 'signal'> = {},
): Promise<SeedResult> {
  const { config, dataset: ds, data } = ctx;
  const splitSeed = config.splitSeeds ? seed : config.splitSeed;
  let split = ctx.splits.get(splitSeed);
  if (!split) {
    split = await splitDataset(ds, config.split, { seed: splitSeed, sizes: config.sizes });
    ctx.splits.set(splitSeed, split);
  }
  const dir = join(ctx.outDir, `seed-${seed}`);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'split.json'), formatSplitJson(split));
  const parts = {
    train: usableRows(data, split.train),
    valid: usableRows(data, split.valid),
    test: usableRows(data, split.test),
  };
  if (parts.train.length === 0)
    throw new ConfigError(`split of '${ds.name}' (seed ${splitSeed}) has no usable training rows`);
  const scaler =
    ds.taskType === 'regression' ? fitScaler(targetsOf(data, parts.train), ds.taskNames.length) : null;
  return trainSeed({
    config,
    data,
    spec: specFor(config, data, scaler, ctx.pretrained?.description ?? null),
    ...(ctx.pretrained ? { pretrained: ctx.pretrained.state } : {}),
    seed,
    splitSeed,
    split: parts,
    dir,
    metric: ctx.metric.name,
    info: {
      dataset: ds.name,
      split: config.split,
      splitSeed,
      metric: ctx.metric.name,
      molgroveVersion: VERSION,
    },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Parallel seeds win over the engine's threads whenever there are at least two seeds: the batches
 * of molecular graphs are small, so a threaded kernel spends much of its time handing work over
 * (bench/parallel-seeds.mjs measures both).
 */
export function defaultJobs(seeds: number): number {
  return Math.max(1, Math.min(seeds, availableParallelism()));
}

export async function finetune(
  config: FinetuneConfig,
  outDir: string,
  options: FinetuneOptions = {},
): Promise<FinetuneSummary> {
  await claimRunDir(outDir, config);
  const ctx = await prepareRun(config, outDir, options);
  const { dataset: ds, data, metric } = ctx;
  if (data.invalidRows.length > 0) {
    const rows = data.invalidRows.map((r) => [r, ds.smiles[r]!]);
    await writeFileAtomic(join(outDir, 'invalid.csv'), stringify([['row', 'smiles'], ...rows]));
  }
  const jobs = Math.min(options.jobs ?? defaultJobs(config.seeds.length), config.seeds.length);
  let results: SeedResult[];
  if (jobs > 1) {
    results = await runSeedsInWorkers(config, outDir, jobs, options);
  } else {
    results = [];
    for (const seed of config.seeds) results.push(await runSeed(ctx, seed, options));
  }
  const summary: FinetuneSummary = {
    dataset: ds.name,
    metric: metric.name,
    higherIsBetter: metric.higherIsBetter,
    arch: ctx.pretrained?.description.arch ?? config.arch,
    features: ctx.pretrained?.description.featurizer ?? config.features,
    split: config.split,
    seeds: results,
    test: meanStd(results.map((r) => r.test)),
    valid: meanStd(results.map((r) => r.valid)),
    secondsPerEpoch: meanStd(results.map((r) => r.secondsPerEpoch)).mean,
    invalidRows: data.invalidRows.length,
  };
  await writeJsonAtomic(join(outDir, 'results.json'), summary);
  const header = [
    'seed',
    'split_seed',
    'best_epoch',
    `valid_${metric.name}`,
    `test_${metric.name}`,
    'epochs',
    'seconds_per_epoch',
  ];
  const rows = results.map((r) => [
    r.seed,
    r.splitSeed,
    r.bestEpoch,
    r.valid,
    r.test,
    r.epochsRun,
    r.secondsPerEpoch.toFixed(3),
  ]);
  await writeFileAtomic(join(outDir, 'results.csv'), stringify([header, ...rows]));
  return summary;
}
