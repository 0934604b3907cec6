/**
 * Self-supervised pretraining of ANY registry encoder (src/models/encoders/registry.ts) with any
 * objective (objective.ts, objectives/index.ts): the encoder's node embeddings go to the
 * objective's heads and loss. The stream, checkpoints, resume, loss.jsonl and summary.json are the
 * shared loop's (loop.ts); shards are featurized on a worker thread with prefetch
 * (graph-shard-worker.ts), with the featurizer the objective needs and the labels it asks for, and
 * kept in the featurized-shard cache (shard-cache.ts) so that later epochs read them back.
 * Optimizer: Adam at a constant learning rate (pretrain-gnns: Adam 1e-3, no decay, no schedule).
 *
 * Files in `dir`: checkpoint.mgck, loss.jsonl, pretrained.mgv (the encoder alone, format
 * 'molgrove-encoder', which `molgrove finetune --from` reads) and summary.json.
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getFeaturizer } from '../chem/featurizers/index.js';
import { ConfigError } from '../errors.js';
import { decodeEncoder, type EncoderDescription, encodeEncoder } from '../models/encoder-file.js';
import { groverFactory, groverOptionsOf } from '../models/encoders/grover.js';
import {
  createEncoder,
  DEFAULT_ENCODER_OPTIONS,
  type Encoder,
  type EncoderOptions,
  getEncoder,
} from '../models/encoders/registry.js';
import { inputSpecFor } from '../models/inputs.js';
import { Module, type StateDict } from '../models/module.js';
import * as T from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GraphShardData, graphShardFeaturizer, type PackedGraphShard } from './graph-shard.js';
import {
  checkLoopConfig,
  type LoopConfig,
  type PretrainEvent,
  type PretrainResult,
  runPretrainLoop,
} from './loop.js';
import { encodeWith, type Objective, type ObjectiveOptions } from './objective.js';
import { getObjective } from './objectives/index.js';
import { graphShardCache } from './shard-cache.js';
import { shardSource, WorkerShardFeaturizer } from './shard-featurizer.js';
import { mixSeed, type ShardIndex, shardFingerprint } from './shards.js';

export interface TrainerConfig extends LoopConfig {
  readonly lr: number;
  readonly weightDecay: number;
}

/** A paper's pretraining setup: trainer settings and encoder options. */
export interface PretrainProtocol {
  readonly description: string;
  readonly config: Omit<TrainerConfig, 'seed' | 'logEvery' | 'checkpointEvery'>;
  readonly encoder: Partial<EncoderOptions>;
  /** Where an objective's own script differs (by canonical objective name). */
  readonly objectives?: Readonly<
    Record<string, { readonly config?: Partial<TrainerConfig>; readonly dropout?: number }>
  >;
}

export const PRETRAIN_PROTOCOLS: Readonly<Record<string, PretrainProtocol>> = {
  hu2020: {
    description:
      'Hu et al. 2020 (pretrain-gnns chem/pretrain_*.py): batch 256, 100 epochs, Adam 1e-3, 5 × 300 GIN, dropout 0; supervised: batch 32, dropout 0.2',
    config: { epochs: 100, batchSize: 256, lr: 1e-3, weightDecay: 0 },
    encoder: { dim: 300, layers: 5, dropout: 0, jk: 'last' },
    // pretrain_supervised.py's own defaults.
    objectives: { supervised: { config: { batchSize: 32 }, dropout: 0.2 } },
  },
};
export const DEFAULT_PROTOCOL = 'hu2020';

export function getProtocol(name: string): PretrainProtocol {
  const p = PRETRAIN_PROTOCOLS[name.trim().toLowerCase()];
  if (!p)
    throw new ConfigError(
      `unknown protocol '${name}'; choose one of: ${Object.keys(PRETRAIN_PROTOCOLS).join(', ')}`,
    );
  return p;
}

export const DEFAULT_TRAINER_CONFIG: TrainerConfig = {
  ...PRETRAIN_PROTOCOLS['hu2020']!.config,
  seed: 0,
  logEvery: 20,
  checkpointEvery: 500,
};

export interface ObjectiveRun {
  readonly dir: string;
  readonly shardDir: string;
  readonly index: ShardIndex;
  /** Encoder alias (gin, gcn, sage, gat, mpnn, dmpnn, grover). */
  readonly arch: string;
  /** Over the architecture's defaults. */
  readonly encoderOptions?: Partial<EncoderOptions>;
  /** Objective alias (attrmask, motif). */
  readonly objective: string;
  readonly objectiveOptions?: ObjectiveOptions;
  /** Featurizer preset; default: the objective's, else 'grover' for GROVER and 'hu' for the rest. */
  readonly featurizer?: string;
  readonly config: TrainerConfig;
  readonly onEvent?: (e: PretrainEvent) => void;
  readonly signal?: AbortSignal;
  /** Featurize shards on this thread instead of a worker. */
  readonly inline?: boolean;
  /**
   * Keep featurized shards in `<shardDir>/featurized/` so that only the first epoch featurizes
   * (shard-cache.ts); default true.
   */
  readonly cache?: boolean;
  /** Provenance stored in the encoder file. */
  readonly info?: Record<string, T.MetadataValue>;
  /**
   * Starts from this encoder file's weights (the previous stage of a sequence, e.g. Hu et al.'s
   * "attribute masking + supervised"); its architecture, options and featurizer must be the run's.
   */
  readonly initEncoder?: string;
}

const CHECKPOINT_FORMAT = 'molgrove-pretrain';

export function checkTrainerConfig(c: TrainerConfig): void {
  checkLoopConfig(c);
  if (!(c.lr > 0)) throw new ConfigError(`learning rate must be > 0, got ${c.lr}`);
  if (!(c.weightDecay >= 0)) throw new ConfigError(`weight decay must be ≥ 0, got ${c.weightDecay}`);
}

/** The encoder as `encoder.*`, the objective's heads as `head.*`. */
export class PretrainModel extends Module {
  constructor(
    readonly encoder: Encoder,
    readonly objective: Objective,
  ) {
    super();
    this.child('encoder', encoder);
    this.child('head', objective.head);
  }
}

/** The featurizer a run uses (see ObjectiveRun.featurizer). */
export function resolveFeaturizer(arch: string, objective: string, given?: string): string {
  const needed = getObjective(objective).featurizer;
  if (needed !== null && given !== undefined && getFeaturizer(given).name !== getFeaturizer(needed).name)
    throw new ConfigError(`objective '${objective}' needs the '${needed}' featurizer, not '${given}'`);
  return getFeaturizer(needed ?? given ?? (getEncoder(arch).name === groverFactory.name ? 'grover' : 'hu'))
    .name;
}

/** What rebuilds the encoder: alias, full options, featurizer and input spec. */
export function describeEncoder(
  arch: string,
  options: Partial<EncoderOptions>,
  featurizer: string,
): EncoderDescription {
  const f = getEncoder(arch);
  const chosen: EncoderOptions = { ...DEFAULT_ENCODER_OPTIONS, ...f.defaults, ...options };
  // GROVER's description carries its full options (attention, hop sampling, …), as fine-tuning's.
  const full: EncoderOptions =
    f.name === groverFactory.name
      ? { ...chosen, grover: { ...groverOptionsOf(chosen), dropout: chosen.dropout } }
      : chosen;
  const feat = getFeaturizer(featurizer);
  return {
    arch: f.name,
    options: full,
    featurizer: feat.name,
    input: inputSpecFor(feat.name, feat.atomDim, feat.bondDim),
  };
}

/** An encoder file's weights, after checking it describes the same encoder; its hash for the fingerprint. */
async function initialWeights(
  path: string,
  description: EncoderDescription,
): Promise<{ state: StateDict; sha256: string }> {
  const bytes = new Uint8Array(await readFile(path));
  const decoded = decodeEncoder(bytes, path);
  // Dropout is a training setting (a supervised stage may use its own), not the architecture.
  const same = (d: EncoderDescription) => {
    const { dropout: _, grover, ...options } = d.options;
    const g = grover ? { ...grover, dropout: 0 } : undefined;
    return JSON.stringify({ arch: d.arch, options: { ...options, grover: g }, featurizer: d.featurizer });
  };
  if (same(decoded.description) !== same(description))
    throw new ConfigError(
      `${path}: its encoder (${same(decoded.description)}) is not the one this run trains (${same(description)})`,
    );
  return { state: decoded.state, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Runs (or resumes) pretraining with an objective; `completed: false` when stopped by the signal. */
export async function pretrainObjective(run: ObjectiveRun): Promise<PretrainResult> {
  const { config, index } = run;
  checkTrainerConfig(config);
  const factory = getObjective(run.objective);
  const objectiveOptions: ObjectiveOptions = { ...factory.defaults, ...run.objectiveOptions };
  const featurizer = resolveFeaturizer(run.arch, run.objective, run.featurizer);
  const description = describeEncoder(run.arch, run.encoderOptions ?? {}, featurizer);
  const rng = new T.Rng(config.seed);
  const encoder = createEncoder(description.arch, description.input, description.options, rng.fork());
  const objective = factory.create({
    dim: encoder.outDim,
    options: objectiveOptions,
    input: index.source.path,
    encoderOptions: description.options,
    rng: rng.fork(),
    makeEncoder: (overrides, r) => {
      const o: EncoderOptions = { ...description.options, ...overrides };
      // GROVER builds from its own options: carry the shared ones over (depth = layers).
      const options = o.grover
        ? {
            ...o,
            grover: { ...o.grover, hidden: o.dim, depth: o.layers, heads: o.heads, dropout: o.dropout },
          }
        : o;
      return createEncoder(description.arch, description.input, options, r);
    },
  });
  const init = run.initEncoder === undefined ? null : await initialWeights(run.initEncoder, description);
  if (init) encoder.loadStateDict(init.state);
  const encode = encodeWith(encoder);
  const model = new PretrainModel(encoder, objective);
  const fingerprint = JSON.stringify({
    config: { ...config, checkpointEvery: null },
    encoder: description as unknown as T.MetadataValue,
    objective: { name: factory.name, options: objectiveOptions },
    data: shardFingerprint(index),
    ...(init ? { init: init.sha256 } : {}),
  });
  const opt = new T.Adam(model.parameters(), { lr: config.lr, weightDecay: config.weightDecay });
  const scheduler = new T.LRScheduler(opt, T.constantSchedule());
  const cache =
    run.cache === false
      ? null
      : await graphShardCache(run.shardDir, index, featurizer, factory.moleculeLabels, objectiveOptions);

  const lossOf = (data: GraphShardData, mols: number[], r: T.Rng) => {
    return objective.loss(encode, objective.prepare(data.batch(mols), r));
  };

  return runPretrainLoop<GraphShardData>({
    dir: run.dir,
    index,
    config,
    format: CHECKPOINT_FORMAT,
    fingerprint,
    model,
    opt,
    scheduler,
    labelRng: new T.Rng(mixSeed(config.seed, 0x1abe1)),
    terms: objective.terms,
    parameters: model.parameterCount(),
    encoderParameters: encoder.parameterCount(),
    openSource: () =>
      shardSource<PackedGraphShard, GraphShardData>({
        shardDir: run.shardDir,
        index,
        worker: run.inline
          ? null
          : () =>
              new WorkerShardFeaturizer<PackedGraphShard>(
                new URL('./graph-shard-worker.js', import.meta.url),
                {
                  init: { featurizer, labels: [...factory.moleculeLabels], options: objectiveOptions },
                },
              ),
        featurize: graphShardFeaturizer(featurizer, factory.moleculeLabels, objectiveOptions),
        open: (packed) => ({ data: new GraphShardData(packed), invalid: packed.invalid.length }),
        cache,
      }),
    loss: lossOf,
    writeModel: async ({ steps, molecules, path }) => {
      await writeFileAtomic(
        path,
        encodeEncoder(encoder, description, {
          ...run.info,
          objective: factory.name,
          objectiveOptions: objectiveOptions as T.MetadataValue,
          epochs: config.epochs,
          batchSize: config.batchSize,
          lr: config.lr,
          steps,
          molecules,
        }),
      );
    },
    ...(run.onEvent ? { onEvent: run.onEvent } : {}),
    ...(run.signal ? { signal: run.signal } : {}),
  });
}
