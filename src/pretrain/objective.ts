/**
 * Self-supervised objectives on any registry encoder (src/models/encoders/registry.ts), trained by
 * trainer.ts. An objective:
 *
 * - declares the featurizer it needs (null: any; the trainer then uses the encoder's usual one) and
 *   the per-molecule labels it needs computed at featurization time (`MOLECULE_LABELS`, computed
 *   from the same RDKit parse as the graph, on the featurization worker);
 * - turns a batch into the encoder's input and its targets with a seeded generator (`prepare`;
 *   masking edits a copy of the batch's codes, never the shard);
 * - owns its head modules (`head`, saved in checkpoints, not in the encoder file);
 * - computes the loss from the encoder's node embeddings [numNodes, dim] (`loss`), with named terms
 *   for loss.jsonl (`terms`, 'total' first).
 */

import { motifLabels } from '../chem/fragments.js';
import type { MolView } from '../chem/rdkit.js';
import type { GraphBatch } from '../data/batch.js';
import type { GraphView } from '../models/graph.js';
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
  readonly labels: Readonly<Partial<Record<MoleculeLabelName, Uint8Array>>>;
}

/** What `prepare` gives: the encoder's input batch (possibly masked) and the objective's targets. */
export interface PreparedBatch<P> {
  readonly input: GraphBatch;
  readonly targets: P;
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
  prepare(batch: PretrainBatch, rng: T.Rng): PreparedBatch<P>;
  loss(nodes: T.Tensor, view: GraphView, targets: P): ObjectiveLoss;
}

/** Objective settings from the CLI or a config, by name (each objective reads its own). */
export type ObjectiveOptions = Readonly<Record<string, number | boolean | string>>;

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
  /** Builds the objective for node embeddings `dim` wide; its generators must come from `rng`. */
  create(dim: number, options: ObjectiveOptions, rng: T.Rng): Objective;
}
