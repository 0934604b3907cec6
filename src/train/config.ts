// The fine-tuning configuration: one flat, validated object (zod) that CLI flags, config files
// (JSON/YAML) and protocol presets all produce. Resolution order: defaults < --protocol preset <
// --config file < flags. The resolved config is saved in the run directory, so a run is always
// reproducible from its own folder.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, unknownChoice } from '../errors.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

export const FinetuneConfigSchema = z
  .object({
    /** Registry dataset name (or use `csv`). */
    dataset: z.string().min(1).optional(),
    /** A user CSV instead of a registry dataset. */
    csv: z.string().min(1).optional(),
    smilesColumn: z.string().min(1).optional(),
    targetColumns: z.array(z.string().min(1)).min(1).optional(),
    taskType: z.enum(['classification', 'regression', 'auto']).optional(),
    /** Featurizer preset: hu (basic), grover (rich), chemprop. */
    features: z.string().default('hu'),
    /** Encoder alias (gin, gcn, sage, gat, dmpnn, mpnn) or 'ecfp' (fingerprint-only MLP). */
    arch: z.string().default('gin'),
    hidden: positiveInt.optional(),
    layers: positiveInt.optional(),
    dropout: z.number().min(0).lt(1).optional(),
    jk: z.enum(['last', 'concat', 'sum']).optional(),
    norm: z.enum(['batch', 'layer', 'none']).optional(),
    act: z.enum(['relu', 'tanh', 'sigmoid', 'gelu']).optional(),
    heads: positiveInt.optional(),
    readout: z.string().default('mean'),
    attnHidden: positiveInt.default(128),
    attnOut: positiveInt.default(4),
    /** Molecule-level features appended after the readout (generator alias), or null. */
    molFeatures: z.string().nullable().default(null),
    /** A CSV of per-molecule features aligned with the dataset rows (instead of a generator). */
    molFeaturesFile: z.string().optional(),
    ffnLayers: positiveInt.default(1),
    ffnHidden: positiveInt.optional(),
    ffnDropout: z.number().min(0).lt(1).default(0),
    split: z.string().default('scaffold'),
    sizes: z.tuple([fraction, fraction, fraction]).default([0.8, 0.1, 0.1]),
    /** Split seed when the split seed does not follow the run seed. */
    splitSeed: z.number().int().min(0).default(0),
    /** Each run seed also seeds its split (GROVER's folds; random or balanced scaffold). */
    splitSeeds: z.boolean().default(false),
    /** Run seeds (model init, dropout, batch order). */
    seeds: z.array(z.number().int().min(0)).min(1).default([0]),
    epochs: positiveInt.default(100),
    batchSize: positiveInt.default(32),
    evalBatchSize: positiveInt.default(256),
    lr: z.number().positive().default(1e-3),
    weightDecay: z.number().min(0).default(0),
    /** 'constant' (Hu et al.) or 'noam' (chemprop/GROVER: linear warm-up then exponential decay). */
    schedule: z.enum(['constant', 'noam']).default('constant'),
    warmupEpochs: z.number().min(0).default(2),
    initLr: z.number().positive().optional(),
    maxLr: z.number().positive().optional(),
    finalLr: z.number().positive().optional(),
    clipNorm: z.number().positive().nullable().default(null),
    /** Stop after this many epochs without a better validation score (null: never). */
    patience: positiveInt.nullable().default(null),
    /** Metric name (default: the dataset's, e.g. roc-auc or rmse). */
    metric: z.string().optional(),
    /** Select the best epoch by validation metric or by validation loss (GROVER's --select_by_loss). */
    selectBy: z.enum(['metric', 'loss']).default('metric'),
    /** Drop unparsable SMILES (listed in invalid.csv) instead of stopping at the first. */
    skipInvalid: z.boolean().default(true),
    /**
     * A pretrained encoder (or a model file) to start from. Its file decides the encoder
     * architecture and featurizer; dropout and everything after the encoder stay configurable.
     */
    from: z.string().min(1).optional(),
    /** Keep the encoder's weights fixed (batch-norm statistics still update, as in torch). */
    freezeEncoder: z.boolean().default(false),
    /** Weight of the views' disagreement (GROVER's dist_coff), for multi-view encoders. */
    distCoeff: z.number().min(0).default(0.1),
    /** The encoder's learning rate as a multiple of the head's (GROVER's fine_tune_coff). */
    encoderLrScale: z.number().min(0).default(1),
    /** The protocol preset this config started from (informational). */
    protocol: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.dataset === undefined) === (c.csv === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of dataset or csv', path: ['dataset'] });
    if (Math.abs(c.sizes[0] + c.sizes[1] + c.sizes[2] - 1) > 1e-6)
      ctx.addIssue({ code: 'custom', message: 'sizes must sum to 1', path: ['sizes'] });
    if (new Set(c.seeds).size !== c.seeds.length)
      ctx.addIssue({ code: 'custom', message: 'seeds must be distinct', path: ['seeds'] });
  });

export type FinetuneConfig = z.output<typeof FinetuneConfigSchema>;
export type FinetuneConfigInput = z.input<typeof FinetuneConfigSchema>;

/** Published protocols as config presets (facts in ../shared/docs/reference.md, sections A6 and C). */
export const PROTOCOLS: Readonly<Record<string, FinetuneConfigInput>> = {
  /** Hu et al. 2020 finetune.py: scaffold split, batch 32, 100 epochs, Adam 1e-3, GIN 5×300, 10 seeds. */
  hu2020: {
    features: 'hu',
    arch: 'gin',
    hidden: 300,
    layers: 5,
    dropout: 0.5,
    jk: 'last',
    norm: 'batch',
    readout: 'mean',
    ffnLayers: 1,
    ffnDropout: 0,
    split: 'scaffold',
    sizes: [0.8, 0.1, 0.1],
    splitSeed: 0,
    splitSeeds: false,
    seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    epochs: 100,
    batchSize: 32,
    lr: 1e-3,
    weightDecay: 0,
    schedule: 'constant',
    selectBy: 'metric',
  },
  /**
   * GROVER's fine-tuning defaults: balanced scaffold 80/10/10, 3 folds with seeds 0, 1, 2 (each
   * seeding its split), 30 epochs, batch 32, Noam 1e-4 → 1e-3 → 1e-4 with 2 warm-up epochs,
   * dropout 0, 2 FFN layers.
   */
  grover: {
    features: 'grover',
    split: 'balanced_scaffold',
    sizes: [0.8, 0.1, 0.1],
    splitSeeds: true,
    seeds: [0, 1, 2],
    epochs: 30,
    batchSize: 32,
    schedule: 'noam',
    warmupEpochs: 2,
    initLr: 1e-4,
    maxLr: 1e-3,
    finalLr: 1e-4,
    lr: 1e-3,
    dropout: 0,
    ffnLayers: 2,
    ffnDropout: 0,
    selectBy: 'metric',
  },
};

export function getProtocol(name: string): FinetuneConfigInput {
  const p = PROTOCOLS[name.trim().toLowerCase()];
  if (!p) throw unknownChoice('protocol', name, Object.keys(PROTOCOLS));
  return p;
}

/** Reads a JSON or YAML config file (by extension; YAML also accepts JSON). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      `config file ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config file ${path} must hold a mapping of options`);
  return value as Record<string, unknown>;
}

/**
 * Merges layers (later wins; undefined values do not override) and validates the result; errors
 * name each bad field and, when given, where the config came from.
 */
export function resolveConfig(layers: readonly Record<string, unknown>[], source = 'config'): FinetuneConfig {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) merged[k] = v;
  }
  const protocol = merged['protocol'];
  if (typeof protocol === 'string') {
    // The preset sits under everything else that was given.
    const base = getProtocol(protocol);
    for (const [k, v] of Object.entries(base)) if (!(k in merged)) merged[k] = v;
  }
  const parsed = FinetuneConfigSchema.safeParse(merged);
  if (!parsed.success) throw zodConfigError(parsed.error, source);
  return parsed.data;
}

/** A ConfigError naming every issue with its location: "source: a.b.2: message; …". */
export function zodConfigError(error: z.ZodError, source: string): ConfigError {
  const issues = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return new ConfigError(`${source}: ${issues.join('; ')}`);
}
