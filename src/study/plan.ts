/**
 * Expands a study into runs. Every combination of the axes' values × dataset × seed is one
 * fine-tuning run whose config is resolved exactly as `molgrove finetune` resolves its own
 * (train/config.ts resolveConfig: defaults < protocol < the study's settings < the axes' values),
 * with `seeds: [seed]` and, for seeded splits (every split but `scaffold`), `splitSeeds: true`, so
 * the split seed is the run seed and arms with the same seed see the same split (paired
 * comparisons). `scaffold` is deterministic: one split for every seed.
 *
 * Pretraining is shared: a fine-tune whose objective is not 'none' needs the pretraining its
 * resolved pretraining config describes (objective stages, their inputs and settings, the encoder's
 * architecture, width, depth and featurizer), and every fine-tune that describes the same one
 * points at the same key. A sequence ('attrmask+supervised') is ONE pretraining with stages
 * (pretrain/sequence.ts). Fine-tuning from it: the runner sets `from` to that pretraining's
 * encoder file; `from` is not part of the fine-tune's config here, its pretraining key is.
 *
 * Stage settings mirror `molgrove pretrain --objective … --protocol`: the protocol's settings, then
 * its objective's own (hu2020: supervised takes batch 32, dropout 0.2), then the study's.
 * `exclude` applies to supervised stages' input only (Hu et al. left the downstream molecules out
 * of their supervised ChEMBL set, not of ZINC); 'auto' = the study's datasets.
 */

import { normalize, resolve } from 'node:path';
import { resolveDatasetFile } from '../data/fetch.js';
import { getDatasetSpec, isRegisteredDataset } from '../data/registry.js';
import { getSplitter } from '../data/splits/index.js';
import { ConfigError } from '../errors.js';
import type { EncoderOptions } from '../models/encoders/options.js';
import { getEncoder } from '../models/encoders/registry.js';
import type { ObjectiveOptions } from '../pretrain/objective.js';
import { getObjective } from '../pretrain/objectives/index.js';
import { sequenceFeaturizer } from '../pretrain/sequence.js';
import { describeEncoder, getProtocol } from '../pretrain/trainer.js';
import { type FinetuneConfig, resolveConfig } from '../train/config.js';
import { FINGERPRINT_ARCH } from '../train/finetune.js';
import {
  axisTarget,
  featuresSetting,
  objectiveStages,
  type PretrainSettings,
  type Study,
} from './definition.js';
import { runKey } from './keys.js';

/** One stage of a pretraining (one objective on one input). */
export interface PretrainStagePlan {
  readonly objective: string;
  /** A registry dataset name, or a path as the study wrote it (see resolveStudyInput). */
  readonly input: string;
  /** Registry names or paths whose molecules are left out of `input` (ShardOptions.exclude). */
  readonly exclude: readonly string[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly dropout: number;
  /** The objective's options over its defaults, complete. */
  readonly options: ObjectiveOptions;
}

/** Everything that decides a pretraining's result (its key is the hash of this). */
export interface PretrainRunConfig {
  readonly arch: string;
  /** The encoder's resolved options, dropout aside (a per-stage training setting). */
  readonly encoder: Omit<EncoderOptions, 'dropout'>;
  readonly featurizer: string;
  readonly protocol: string;
  readonly seed: number;
  readonly limit: number | null;
  readonly fraction: number | null;
  readonly shardSize: number;
  readonly stages: readonly PretrainStagePlan[];
}

export interface PlannedPretrain {
  readonly kind: 'pretrain';
  readonly key: string;
  readonly config: PretrainRunConfig;
  /** Fine-tunes that start from it. */
  readonly usedBy: number;
}

export interface PlannedFinetune {
  readonly kind: 'finetune';
  readonly key: string;
  readonly dataset: string;
  readonly seed: number;
  /** This run's value of every axis, by axis name (as the study wrote them). */
  readonly axes: Readonly<Record<string, unknown>>;
  /** Key of the pretraining to start from, or null (objective 'none'). */
  readonly pretrain: string | null;
  /** Resolved as `molgrove finetune` would (seeds [seed]; no `from`: see `pretrain`). */
  readonly config: FinetuneConfig;
}

export interface StudyPlan {
  readonly study: Study;
  readonly pretrains: readonly PlannedPretrain[];
  readonly finetunes: readonly PlannedFinetune[];
}

/** Every combination of the axes' values, in the file's order (the last axis varies fastest). */
export function combinations(axes: Readonly<Record<string, readonly unknown[]>>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(axes))
    out = out.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  return out;
}

/** A pretraining input as keyed: a registry dataset's canonical name, else the path normalized. */
function inputName(input: string): string {
  return isRegisteredDataset(input) ? getDatasetSpec(input).name : normalize(input).replaceAll('\\', '/');
}

/** The file a planned input reads: a registry dataset's file (mirror, cache or download), or a path. */
export async function resolveStudyInput(input: string, baseDir: string): Promise<string> {
  return isRegisteredDataset(input) ? resolveDatasetFile(getDatasetSpec(input)) : resolve(baseDir, input);
}

function stageOptions(objective: string, given: PretrainSettings['options']): ObjectiveOptions {
  const factory = getObjective(objective);
  const own = Object.entries(given).find(([k]) => getObjective(k).name === factory.name)?.[1] ?? {};
  for (const [k, v] of Object.entries(own)) {
    const d = factory.defaults[k];
    if (d === undefined)
      throw new ConfigError(
        `pretrain.options.${objective}.${k}: not an option of ${factory.name} (options: ${Object.keys(factory.defaults).join(', ') || 'none'})`,
      );
    if (typeof d !== typeof v)
      throw new ConfigError(
        `pretrain.options.${objective}.${k}: expected a ${typeof d}, got ${JSON.stringify(v)}`,
      );
  }
  return { ...factory.defaults, ...own };
}

/** The pretraining a fine-tune needs, or null for objective 'none'. */
function pretrainConfigOf(
  stages: readonly string[],
  pre: PretrainSettings,
  ft: FinetuneConfig,
  study: Study,
): PretrainRunConfig | null {
  if (stages.length === 0) return null;
  if (ft.arch === FINGERPRINT_ARCH)
    throw new ConfigError(
      `the '${FINGERPRINT_ARCH}' model has no graph encoder to pretrain; use objective none`,
    );
  const protocol = getProtocol(pre.protocol);
  const arch = getEncoder(ft.arch).name;
  const featurizer = sequenceFeaturizer(arch, stages, ft.features);
  const given: Partial<EncoderOptions> = {
    ...protocol.encoder,
    ...(ft.hidden === undefined ? {} : { dim: ft.hidden }),
    ...(ft.layers === undefined ? {} : { layers: ft.layers }),
    ...(ft.jk === undefined ? {} : { jk: ft.jk }),
    ...(ft.norm === undefined ? {} : { norm: ft.norm }),
    ...(ft.act === undefined ? {} : { act: ft.act }),
    ...(ft.heads === undefined ? {} : { heads: ft.heads }),
  };
  const { dropout: baseDropout, ...encoder } = describeEncoder(arch, given, featurizer).options;
  const exclude =
    pre.exclude === 'auto' ? study.datasets : pre.exclude === null ? [] : pre.exclude.map(inputName);
  const plans = stages.map((objective): PretrainStagePlan => {
    const supervised = objective === 'supervised';
    const raw = supervised ? (pre.supervisedInput ?? pre.corpus) : pre.corpus;
    if (raw === undefined)
      throw new ConfigError(
        `objective ${objective} needs pretrain.corpus${supervised ? ' or pretrain.supervisedInput' : ''}`,
      );
    const input = inputName(raw);
    if (supervised && exclude.includes(input))
      throw new ConfigError(
        `the supervised input '${input}' is also excluded (a downstream dataset with exclude: auto); pretrain on another labelled set`,
      );
    const own = protocol.objectives?.[objective];
    return {
      objective,
      input,
      exclude: supervised ? exclude : [],
      epochs: pre.epochs ?? own?.config?.epochs ?? protocol.config.epochs,
      batchSize: pre.batchSize ?? own?.config?.batchSize ?? protocol.config.batchSize,
      lr: pre.lr ?? own?.config?.lr ?? protocol.config.lr,
      weightDecay: pre.weightDecay ?? own?.config?.weightDecay ?? protocol.config.weightDecay,
      dropout: pre.dropout ?? own?.dropout ?? baseDropout,
      options: stageOptions(objective, pre.options),
    };
  });
  return {
    arch,
    encoder,
    featurizer,
    protocol: pre.protocol.toLowerCase(),
    seed: pre.seed,
    limit: pre.limit,
    fraction: pre.fraction,
    shardSize: pre.shardSize,
    stages: plans,
  };
}

/** The run's own layer of fine-tuning settings and its pretraining settings, from its axis values. */
function layersOf(study: Study, combo: Readonly<Record<string, unknown>>) {
  const ft: Record<string, unknown> = { ...study.finetune };
  const pre: Record<string, unknown> = { ...study.pretrain };
  for (const [axis, value] of Object.entries(combo)) {
    const target = axisTarget(axis)!;
    if (target.kind === 'objective') pre['objective'] = value;
    else if (target.kind === 'features') Object.assign(ft, featuresSetting(value as string));
    else if (target.kind === 'finetune') ft[target.key] = value;
    else pre[target.key] = value;
  }
  return { ft, pre: pre as PretrainSettings };
}

const describeCombo = (combo: Readonly<Record<string, unknown>>) =>
  Object.entries(combo)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');

/** Expands a study into its pretrainings and fine-tunes (keys computed, pretrainings shared). */
export function planStudy(study: Study): StudyPlan {
  const pretrains = new Map<string, { config: PretrainRunConfig; usedBy: number }>();
  const finetunes: PlannedFinetune[] = [];
  for (const combo of combinations(study.axes)) {
    const { ft, pre } = layersOf(study, combo);
    const where = `${study.name}: ${describeCombo(combo) || 'the run'}`;
    for (const dataset of study.datasets) {
      for (const seed of study.seeds) {
        const run = { dataset, seeds: [seed] };
        const first = resolveConfig([ft, run], where);
        const seeded = getSplitter(first.split).name !== 'scaffold';
        const config = resolveConfig([{ splitSeeds: seeded }, ft, run], where);
        let pretrainKey: string | null = null;
        let pc: PretrainRunConfig | null;
        try {
          pc = pretrainConfigOf(objectiveStages(pre.objective), pre, config, study);
        } catch (e) {
          if (e instanceof ConfigError) throw new ConfigError(`${where}: ${e.message}`);
          throw e;
        }
        if (pc) {
          pretrainKey = runKey('pretrain', pc);
          const entry = pretrains.get(pretrainKey) ?? { config: pc, usedBy: 0 };
          entry.usedBy++;
          pretrains.set(pretrainKey, entry);
        }
        finetunes.push({
          kind: 'finetune',
          key: runKey('finetune', { config, pretrain: pretrainKey }),
          dataset,
          seed,
          axes: combo,
          pretrain: pretrainKey,
          config,
        });
      }
    }
  }
  return {
    study,
    pretrains: [...pretrains].map(([key, p]) => ({ kind: 'pretrain', key, ...p })),
    finetunes,
  };
}
