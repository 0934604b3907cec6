/**
 * Self-supervised objectives on any registry encoder (src/models/encoders/registry.ts), trained by
 * trainer.ts. An objective:
 *
 * - declares the featurizer it needs (null: any; the trainer then uses the encoder's usual one) and
 *   the per-molecule labels it needs computed at featurization time (`MOLECULE_LABELS`, computed
 *   from the same RDKit parse as the graph, on the featurization worker);
 * - turns a batch into what its loss needs with a seeded generator (`prepare`: masked inputs,
 *   augmented views, sampled subgraphs or negatives, targets; edits copies, never the shard);
 * - owns its head modules (`head`, saved in checkpoints, not in the encoder file), which may hold
 *   a second encoder of the run's architecture (`ObjectiveContext.makeEncoder`: contextpred's
 *   context GNN);
 * - computes the loss (`loss`), encoding as many graph batches as it needs through `encode` (one
 *   for masking, two views for contrastive learning), with named terms for loss.jsonl (`terms`,
 *   'total' first).
 */

import { motifLabels } from '../chem/fragments.js';
import type { MolView } from '../chem/rdkit.js';
import type { GraphBatch } from '../data/batch.js';
import type { Encoder, EncoderOptions } from '../models/encoders/options.js';
import { GraphView } from '../models/graph.js';
import type { Module } from '../models/module.js';
import type * as T from '../tensor/index.js';

/** Per-molecule labels computed at featurization time, by name: width bytes per molecule. */
export const MOLECULE_LABELS = {
  /** GROVER's 85 binarized RDKit fr_* counts (src/chem/fragments.ts). */
  motifs: { width: 85, compute: (view: MolView): Uint8Array => motifLabels(view) },
} as const;
export type MoleculeLabelName = keyof typeof MOLECULE_LABELS;

/** A batch of a featurized shard: the graphs, and the molecule labels asked for (numGraphs × width). */
export interface PretrainBatch {
  readonly graphs: GraphBatch;
  /** Each molecule's 0-based data row in the source file (shards.ts), in batch order. */
  readonly rows: Int32Array;
  readonly labels: Readonly<Partial<Record<MoleculeLabelName, Uint8Array>>>;
}

/** An encoded graph batch: node embeddings [numNodes, dim] and the view they were computed on. */
export interface Encoded {
  readonly nodes: T.Tensor;
  readonly view: GraphView;
}

/** Runs an encoder on a graph batch (the pretrained one, inside `loss`). */
export type Encode = (input: GraphBatch) => Encoded;

/** `encoder` as an Encode. */
export function encodeWith(encoder: Encoder): Encode {
  return (input) => {
    const view = new GraphView(input);
    return { nodes: encoder.forward(view), view };
  };
}

export interface ObjectiveLoss {
  /** The scalar to backpropagate. */
  readonly total: T.Tensor;
  /** Every term of `terms` ('total' included). */
  readonly values: Readonly<Record<string, number>> & { readonly total: number };
}

export interface Objective<P = unknown> {
  /** Canonical name (the registry's). */
  readonly name: string;
  /** Loss terms logged, 'total' first. */
  readonly terms: readonly string[];
  /** The objective's heads (one Module holding them all; may hold none). */
  readonly head: Module;
  /** Everything random is drawn here, from `rng`, so that a resumed run draws the same. */
  prepare(batch: PretrainBatch, rng: T.Rng): P;
  loss(encode: Encode, prepared: P): ObjectiveLoss;
}

/** Objective settings from the CLI or a config, by name (each objective reads its own). */
export type ObjectiveOptions = Readonly<Record<string, number | boolean | string>>;

/** What an objective is built with. */
export interface ObjectiveContext {
  /** Width of the encoder's node embeddings. */
  readonly dim: number;
  /** The objective's options over its defaults. */
  readonly options: ObjectiveOptions;
  /** The pretraining input file (the shards' source), for objectives that read more of it. */
  readonly input: string;
  /** The run's encoder options, resolved. */
  readonly encoderOptions: EncoderOptions;
  /** Its generators must come from this. */
  readonly rng: T.Rng;
  /** A new encoder of the run's architecture and input, with options overridden. */
  readonly makeEncoder: (overrides: Partial<EncoderOptions>, rng: T.Rng) => Encoder;
}

/** A command-line flag of an objective's option (the CLI registers each objective's flags). */
export interface ObjectiveFlag {
  /** Key in ObjectiveOptions; the flag's value is parsed by the type of its default. */
  readonly key: string;
  /** Commander syntax: '--mask-rate <x>', or '--mask-edge' for a boolean. */
  readonly flag: string;
  readonly help: string;
}

export interface ObjectiveFactory {
  readonly name: string;
  readonly aliases: readonly string[];
  /** One line for --help, naming the reference. */
  readonly description: string;
  /** The featurizer preset the objective needs, or null for any. */
  readonly featurizer: string | null;
  readonly moleculeLabels: readonly MoleculeLabelName[];
  /** The options it reads, with their defaults (stored in the run's fingerprint and the encoder file). */
  readonly defaults: ObjectiveOptions;
  readonly flags: readonly ObjectiveFlag[];
  create(ctx: ObjectiveContext): Objective;
}
