/**
 * A study file (YAML or JSON): the grid of an ablation study, as in Sun et al. 2022 (every
 * combination of the axes' values × every dataset × every seed is one fine-tuning run).
 *
 * ```yaml
 * name: sun2022-small
 * preset: sun2022            # optional: start from a built-in study (presets.ts); this file wins
 * datasets: [bbbp, bace]     # registry datasets (molgrove datasets)
 * seeds: [0, 1, 2]           # or a count: 3 = 0, 1, 2
 * baseline: { objective: none }
 * axes:
 *   objective: [none, attrmask, attrmask+supervised]
 *   features: [basic, rich]
 *   split: [scaffold, balanced_scaffold]
 *   pretrain.epochs: [1, 5]
 * finetune: { epochs: 10, hidden: 128, layers: 3, dropout: 0.5 }
 * pretrain: { corpus: zinc250k-jtvae-valid, epochs: 1, supervisedInput: muv, exclude: auto }
 * ```
 *
 * Axis names: `objective` (pretraining objective, 'none', or a sequence 'a+b'); `features` (basic =
 * Hu codes 'hu'; rich = 'grover' features plus rdkit2d_normalized molecule features at
 * fine-tuning, as Sun et al.; or a featurizer name); any fine-tuning config key (train/config.ts)
 * except dataset, csv, seeds and from; any pretraining key as `pretrain.<key>` (unprefixed too
 * where the name is not also a fine-tuning key: corpus, limit, fraction, supervisedInput,
 * exclude). Architecture keys (arch, hidden, layers, jk, norm, act, heads) shape the pretrained
 * encoder as well. Validation errors name their location (`axes.objective.2: …`).
 */

import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FEATURIZER_NAMES, getFeaturizer } from '../chem/featurizers/index.js';
import { getDatasetSpec, isRegisteredDataset } from '../data/registry.js';
import { getSplitter } from '../data/splits/index.js';
import { ConfigError } from '../errors.js';
import { getEncoder } from '../models/encoders/registry.js';
import { getObjective, objectiveNames } from '../pretrain/objectives/index.js';
import { DEFAULT_SHARD_SIZE } from '../pretrain/shards.js';
import { PRETRAIN_PROTOCOLS } from '../pretrain/trainer.js';
import { FinetuneConfigSchema, PROTOCOLS, zodConfigError } from '../train/config.js';
import { FINGERPRINT_ARCH } from '../train/finetune.js';

const positiveInt = z.number().int().positive();
const json = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown())]);

/** Pretraining settings shared by every pretraining of the study (axes may vary any of them). */
export const PretrainSettingsSchema = z
  .object({
    /** Objective when `objective` is not an axis: 'none', a name, or a sequence 'a+b'. */
    objective: z.string().min(1).default('none'),
    /** Unlabelled input: a registry corpus name (portable) or a file/folder path. */
    corpus: z.string().min(1).optional(),
    /** First n molecules of each input (null: all). */
    limit: positiveInt.nullable().default(null),
    /** A seeded share of each input, in (0, 1] (null: all). */
    fraction: z.number().gt(0).max(1).nullable().default(null),
    /** Over the protocol's (hu2020: 100 epochs, batch 256, Adam 1e-3, dropout 0). */
    epochs: positiveInt.optional(),
    batchSize: positiveInt.optional(),
    lr: z.number().positive().optional(),
    weightDecay: z.number().min(0).optional(),
    dropout: z.number().min(0).lt(1).optional(),
    protocol: z.string().default('hu2020'),
    /** Seed of weights, order and labels of every pretraining. */
    seed: z.number().int().min(0).default(0),
    shardSize: positiveInt.default(DEFAULT_SHARD_SIZE),
    /** Labelled input of supervised stages: registry dataset name or CSV path (default: corpus). */
    supervisedInput: z.string().min(1).nullable().default(null),
    /**
     * Molecules left out of supervised stages' input: 'auto' = the study's datasets, a list of
     * registry names or files, or null.
     */
    exclude: z
      .union([z.literal('auto'), z.array(z.string().min(1))])
      .nullable()
      .default('auto'),
    /** Objective options by objective name, e.g. { attrmask: { maskRate: 0.15 } }. */
    options: z
      .record(z.string(), z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])))
      .default({}),
  })
  .strict();

export type PretrainSettings = z.output<typeof PretrainSettingsSchema>;

/** Pretraining keys that `pretrain.<key>` axes may vary (objective is its own axis). */
export const PRETRAIN_AXIS_KEYS = [
  'corpus',
  'limit',
  'fraction',
  'epochs',
  'batchSize',
  'lr',
  'weightDecay',
  'dropout',
  'protocol',
  'seed',
  'shardSize',
  'supervisedInput',
  'exclude',
] as const satisfies readonly (keyof PretrainSettings)[];

/** Fine-tuning keys a study sets itself (per run) or that cannot be shared. */
const RESERVED_FINETUNE_KEYS = ['dataset', 'csv', 'seeds', 'from'];
/** Fine-tuning keys that also define the pretrained encoder. */
export const ARCH_KEYS = ['arch', 'hidden', 'layers', 'jk', 'norm', 'act', 'heads'] as const;

const finetuneShape = FinetuneConfigSchema.shape as Record<string, z.ZodType>;
const FINETUNE_AXIS_KEYS = Object.keys(finetuneShape).filter((k) => !RESERVED_FINETUNE_KEYS.includes(k));

/** What an axis name refers to. */
export type AxisTarget =
  | { readonly kind: 'objective' }
  | { readonly kind: 'features' }
  | { readonly kind: 'finetune'; readonly key: string }
  | { readonly kind: 'pretrain'; readonly key: (typeof PRETRAIN_AXIS_KEYS)[number] };

/** Every axis name a study accepts. */
export function axisNames(): string[] {
  const unprefixed = PRETRAIN_AXIS_KEYS.filter((k) => !(k in finetuneShape));
  return [
    'objective',
    'features',
    ...FINETUNE_AXIS_KEYS.filter((k) => k !== 'features'),
    ...unprefixed,
    ...PRETRAIN_AXIS_KEYS.map((k) => `pretrain.${k}`),
  ];
}

/** The target of an axis name, or null when there is none. */
export function axisTarget(name: string): AxisTarget | null {
  if (name === 'objective' || name === 'pretrain.objective') return { kind: 'objective' };
  if (name === 'features') return { kind: 'features' };
  const pre = name.startsWith('pretrain.') ? name.slice('pretrain.'.length) : null;
  const isPretrainKey = (k: string): k is (typeof PRETRAIN_AXIS_KEYS)[number] =>
    (PRETRAIN_AXIS_KEYS as readonly string[]).includes(k);
  if (pre !== null) return isPretrainKey(pre) ? { kind: 'pretrain', key: pre } : null;
  if (FINETUNE_AXIS_KEYS.includes(name)) return { kind: 'finetune', key: name };
  if (isPretrainKey(name)) return { kind: 'pretrain', key: name };
  return null;
}

/** The stages of an objective value: [] for 'none', else canonical names ('a+b' or 'a,b'). */
export function objectiveStages(value: string): string[] {
  if (value.trim().toLowerCase() === 'none') return [];
  const parts = value
    .split(/[+,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new ConfigError(`empty objective '${value}'`);
  return parts.map((p) => getObjective(p).name);
}

/** The fine-tuning keys a `features` value sets: basic, rich, or a featurizer name. */
export function featuresSetting(value: string): { features: string; molFeatures?: string } {
  const v = value.trim().toLowerCase();
  if (v === 'basic') return { features: 'hu' };
  if (v === 'rich') return { features: 'grover', molFeatures: 'rdkit2d_normalized' };
  return { features: getFeaturizer(v).name };
}

/** A message when `value` is not a valid value of the axis, else null. */
function checkAxisValue(target: AxisTarget, value: unknown): string | null {
  const tryChoice = (f: () => unknown): string | null => {
    try {
      f();
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };
  switch (target.kind) {
    case 'objective':
      if (typeof value !== 'string') return `an objective is a string ('none', ${objectiveNames()[0]}, a+b)`;
      return tryChoice(() => objectiveStages(value));
    case 'features':
      if (typeof value !== 'string')
        return `features is basic, rich or a featurizer (${FEATURIZER_NAMES.join(', ')})`;
      return tryChoice(() => featuresSetting(value));
    case 'finetune': {
      const schema = finetuneShape[target.key]!;
      const r = schema.safeParse(value);
      if (!r.success) return r.error.issues.map((i) => i.message).join('; ');
      if (target.key === 'arch' && typeof value === 'string' && value !== FINGERPRINT_ARCH)
        return tryChoice(() => getEncoder(value));
      if (target.key === 'split' && typeof value === 'string') return tryChoice(() => getSplitter(value));
      if (target.key === 'protocol' && typeof value === 'string' && !(value.toLowerCase() in PROTOCOLS))
        return `unknown protocol '${value}'; choose one of: ${Object.keys(PROTOCOLS).join(', ')}`;
      return null;
    }
    case 'pretrain': {
      const r = PretrainSettingsSchema.shape[target.key].safeParse(value);
      return r.success ? null : r.error.issues.map((i) => i.message).join('; ');
    }
  }
}

/** Canonical JSON of a value, for comparing axis values. */
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export const StudySchema = z
  .object({
    /** Letters, digits, '.', '_' and '-' (it names folders). */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-"'),
    description: z.string().optional(),
    /** A built-in study this file starts from (merged under it; see readStudyFile). */
    preset: z.string().optional(),
    datasets: z.array(z.string().min(1)).min(1),
    /** Run seeds; a count n means 0 … n−1. */
    seeds: z.union([positiveInt, z.array(z.number().int().min(0)).min(1)]).default([0, 1, 2]),
    /** One axis and its baseline value (default { objective: none } when that is an axis value). */
    baseline: z.record(z.string(), json).optional(),
    axes: z.record(z.string(), z.array(json).min(1)).default({}),
    /** Fixed fine-tuning settings (any train/config.ts key but dataset, csv, seeds, from). */
    finetune: z.record(z.string(), z.unknown()).default({}),
    pretrain: PretrainSettingsSchema.default(PretrainSettingsSchema.parse({})),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const [i, d] of s.datasets.entries()) {
      if (!isRegisteredDataset(d)) {
        ctx.addIssue({ code: 'custom', path: ['datasets', i], message: `unknown dataset '${d}'` });
        continue;
      }
      const t = getDatasetSpec(d).taskType;
      if (t === 'unlabelled')
        ctx.addIssue({ code: 'custom', path: ['datasets', i], message: `'${d}' has no labels` });
    }
    if (Array.isArray(s.seeds) && new Set(s.seeds).size !== s.seeds.length)
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'seeds must be distinct' });
    for (const [k, v] of Object.entries(s.finetune)) {
      if (RESERVED_FINETUNE_KEYS.includes(k)) {
        ctx.addIssue({
          code: 'custom',
          path: ['finetune', k],
          message: `'${k}' is set by the study per run; use datasets/seeds`,
        });
        continue;
      }
      const schema = finetuneShape[k];
      if (!schema) {
        ctx.addIssue({
          code: 'custom',
          path: ['finetune', k],
          message: `unknown fine-tuning key; choose from: ${FINETUNE_AXIS_KEYS.join(', ')}`,
        });
        continue;
      }
      const r = schema.safeParse(v);
      if (!r.success)
        ctx.addIssue({
          code: 'custom',
          path: ['finetune', k],
          message: r.error.issues.map((i) => i.message).join('; '),
        });
    }
    checkObjectiveSetting(s.pretrain.objective, ctx);
    if (s.pretrain.limit !== null && s.pretrain.fraction !== null)
      ctx.addIssue({
        code: 'custom',
        path: ['pretrain', 'limit'],
        message: 'give limit or fraction, not both',
      });
    if (!(s.pretrain.protocol.toLowerCase() in PRETRAIN_PROTOCOLS))
      ctx.addIssue({
        code: 'custom',
        path: ['pretrain', 'protocol'],
        message: `unknown protocol; choose one of: ${Object.keys(PRETRAIN_PROTOCOLS).join(', ')}`,
      });
    for (const [name, values] of Object.entries(s.axes)) {
      const target = axisTarget(name);
      if (!target) {
        ctx.addIssue({
          code: 'custom',
          path: ['axes', name],
          message: `unknown axis '${name}'; valid axes: ${axisNames().join(', ')}`,
        });
        continue;
      }
      if (target.kind === 'finetune' && RESERVED_FINETUNE_KEYS.includes(target.key)) continue;
      for (const [i, v] of values.entries()) {
        const msg = checkAxisValue(target, v);
        if (msg) ctx.addIssue({ code: 'custom', path: ['axes', name, i], message: msg });
        if (values.findIndex((w) => same(w, v)) < i)
          ctx.addIssue({ code: 'custom', path: ['axes', name, i], message: 'repeated value' });
      }
    }
    const targets = Object.keys(s.axes).map(axisTarget);
    const twice = (kind: string, key?: string) =>
      targets.filter((t) => t?.kind === kind && (key === undefined || ('key' in t && t.key === key))).length >
      1;
    if (twice('objective') || PRETRAIN_AXIS_KEYS.some((k) => twice('pretrain', k)))
      ctx.addIssue({ code: 'custom', path: ['axes'], message: 'one setting is named by two axes' });
    checkBaseline(s.baseline, s.axes, ctx);
  });

function checkObjectiveSetting(value: string, ctx: z.RefinementCtx): void {
  try {
    objectiveStages(value);
  } catch (e) {
    ctx.addIssue({ code: 'custom', path: ['pretrain', 'objective'], message: (e as Error).message });
  }
}

function checkBaseline(
  baseline: Record<string, unknown> | undefined,
  axes: Record<string, unknown[]>,
  ctx: z.RefinementCtx,
): void {
  if (baseline === undefined) {
    const objective = axes['objective'];
    if (objective && !objective.includes('none'))
      ctx.addIssue({
        code: 'custom',
        path: ['baseline'],
        message: "give a baseline (the objective axis has no 'none')",
      });
    return;
  }
  const entries = Object.entries(baseline);
  if (entries.length !== 1) {
    ctx.addIssue({ code: 'custom', path: ['baseline'], message: 'name exactly one axis and its value' });
    return;
  }
  const [axis, value] = entries[0]!;
  const values = axes[axis];
  if (!values)
    ctx.addIssue({
      code: 'custom',
      path: ['baseline', axis],
      message: `'${axis}' is not an axis of this study (axes: ${Object.keys(axes).join(', ') || 'none'})`,
    });
  else if (!values.some((v) => same(v, value)))
    ctx.addIssue({
      code: 'custom',
      path: ['baseline', axis],
      message: `${JSON.stringify(value)} is not among the axis's values (${values.map((v) => JSON.stringify(v)).join(', ')})`,
    });
}

export type StudyInput = z.input<typeof StudySchema>;

/** A validated study, seeds expanded, baseline resolved, paths resolved against `baseDir`. */
export interface Study extends Omit<z.output<typeof StudySchema>, 'seeds' | 'baseline'> {
  readonly seeds: readonly number[];
  readonly baseline: { readonly axis: string; readonly value: unknown } | null;
  /** Folder that relative input paths are read from (the study file's; cwd for presets). */
  readonly baseDir: string;
}

/** Validates a study object; errors name the source and each bad field's location. */
export function parseStudy(value: unknown, source = 'study', baseDir = process.cwd()): Study {
  const parsed = StudySchema.safeParse(value);
  if (!parsed.success) throw zodConfigError(parsed.error, source);
  const s = parsed.data;
  const seeds = typeof s.seeds === 'number' ? Array.from({ length: s.seeds }, (_, i) => i) : s.seeds;
  const entry = s.baseline ? Object.entries(s.baseline)[0] : undefined;
  const baseline = entry
    ? { axis: entry[0], value: entry[1] }
    : s.axes['objective']
      ? { axis: 'objective', value: 'none' }
      : null;
  const datasets = s.datasets.map((d) => getDatasetSpec(d).name);
  return { ...s, datasets, seeds, baseline, baseDir };
}

/** Objects merge key by key (recursively); anything else in `over` replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * `--set path=value` overrides: the path is dotted (finetune.epochs, pretrain.limit, seeds) and
 * the value is read as YAML (10, [0,1,2], null, text).
 */
export function applyOverrides(
  study: Record<string, unknown>,
  sets: readonly string[],
): Record<string, unknown> {
  let out: unknown = study;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set needs path=value, got '${set}'`);
    const path = set.slice(0, eq).trim();
    const value: unknown = parseYaml(set.slice(eq + 1));
    // Axis names hold dots themselves (axes.pretrain.epochs): the first part picks the section.
    const [head, ...rest] = path.split('.');
    const keys = head === 'axes' || head === 'baseline' ? [head, rest.join('.')] : [head!, ...rest];
    const patch = keys.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
    out = deepMerge(out, patch);
  }
  return out as Record<string, unknown>;
}

/** Reads a study file (.yaml, .yml or .json); with a `preset:` key the file is merged over it. */
export function readStudyObject(path: string, text: string): Record<string, unknown> {
  const isJson = /\.json$/i.test(path);
  if (!/\.(ya?ml|json)$/i.test(path))
    throw new ConfigError(`study file ${path}: use a .yaml, .yml or .json file`);
  let value: unknown;
  try {
    value = isJson ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      `study file ${path} is not valid ${isJson ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`study file ${path} must hold a mapping (name, datasets, axes, …)`);
  return value as Record<string, unknown>;
}

/** The folder a study file's relative paths are read from. */
export function studyBaseDir(path: string): string {
  return dirname(resolve(path));
}
