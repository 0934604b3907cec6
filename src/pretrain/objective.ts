/**
 * Self-supervised objectives on any registry encoder (src/models/encoders/registry.ts), trained by
 * trainer.ts. An objective:
 *
 * - declares the featurizer it needs (null: any; the trainer then uses the encoder's usual one) and
 *   the labels it needs computed at featurization time (`MOLECULE_LABELS`: per molecule, per atom or
 *   per bond, from the same RDKit parse as the graph, on the featurization worker, set up there once
 *   with the objective's options);
 * - turns a batch into what its loss needs with a seeded generator (`prepare`: masked inputs,
 *   augmented views, sampled subgraphs or negatives, targets; edits copies, never the shard);
 * - owns its head modules (`head`, saved in checkpoints, not in the encoder file), which may hold
 *   a second encoder of the run's architecture (`ObjectiveContext.makeEncoder`: contextpred's
 *   context GNN);
 * - computes the loss (`loss`), encoding as many graph batches as it needs through `encode` (one
 *   for masking, two views for contrastive learning), with named terms for loss.jsonl (`terms`,
 *   'total' first).
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { motifLabels } from '../chem/fragments.js';
import type { PerceivedMol } from '../chem/perception.js';
import type { MolView } from '../chem/rdkit.js';
import type { GraphBatch } from '../data/batch.js';
import { ConfigError, MolgroveError } from '../errors.js';
import type { Encoder, EncoderOptions } from '../models/encoders/options.js';
import { GraphView } from '../models/graph.js';
import type { Module } from '../models/module.js';
import type * as T from '../tensor/index.js';
import { type ContextKeys, contextKeysOf } from './grover/context.js';
import { Vocab, type VocabKind, vocabFileName } from './grover/vocab.js';

/**
 * Where a label's rows are: one per molecule, one per atom (in the batch's atom order), or one per
 * bond (one per bond, not per directed edge: edges 2b and 2b+1 are bond b).
 */
export type LabelLevel = 'molecule' | 'atom' | 'bond';
/** Storage of a label's values. */
export type LabelArray = Uint8Array | Int32Array;

/** What a label is computed from: RDKit's parse, its perception, and the SMILES text it came from. */
export interface LabelInput {
  readonly view: MolView;
  readonly mol: PerceivedMol;
  readonly smiles: string;
}

/** One molecule's rows of a label, `width` values each, row after row. */
export type LabelCompute<A extends LabelArray = LabelArray> = (input: LabelInput) => A;

/** A label computed at featurization time. */
export interface LabelDefinition<A extends LabelArray = LabelArray> {
  readonly level: LabelLevel;
  readonly width: number;
  /** Storage for `length` values. */
  readonly alloc: (length: number) => A;
  /**
   * Runs once per featurizing thread (the worker, or the trainer's own thread inline) with the
   * objective's options; loads what the computation needs (a vocabulary) and returns it.
   */
  readonly setup: (options: ObjectiveOptions) => Promise<LabelCompute<A>>;
  /**
   * What the labels depend on besides the molecule, as text that changes when they would (e.g. a
   * vocabulary file's content digest): part of the featurized-shard cache's key (shard-cache.ts).
   * A label that reads options MUST give it; null: the inputs cannot be read (setup reports why).
   */
  readonly inputs?: (options: ObjectiveOptions) => Promise<string | null>;
}

const label = <A extends LabelArray>(d: LabelDefinition<A>): LabelDefinition<A> => d;

const motifCompute: LabelCompute<Uint8Array> = ({ view }) => motifLabels(view);

/**
 * Context keys per perceived molecule and radius, so that the atom and the bond labels of one
 * molecule share one computation (the entry goes with the molecule).
 */
const contextKeysCache = new WeakMap<PerceivedMol, Map<number, ContextKeys>>();

/**
 * GROVER's contextual-property labels (grover/context.ts keys at the vocabulary's radius, looked up
 * in grover/vocab.ts; `<other>` = 1 for unknown keys): the vocabulary is option `vocab`, a folder
 * with atom_vocab.json and bond_vocab.json (`molgrove build-vocab`).
 */
async function contextLabels(options: ObjectiveOptions, kind: VocabKind): Promise<LabelCompute<Int32Array>> {
  const dir = options['vocab'];
  if (typeof dir !== 'string' || dir === '')
    throw new ConfigError(
      'contextual-property labels need a vocabulary: option vocab (--vocab <dir>), a folder with ' +
        'atom_vocab.json and bond_vocab.json (molgrove build-vocab)',
    );
  const vocab = await Vocab.load(join(dir, vocabFileName(kind)));
  if (vocab.kind !== kind)
    throw new MolgroveError('IO', `${dir}: ${vocabFileName(kind)} is a ${vocab.kind} vocabulary`);
  return ({ view, mol }) => {
    const byRadius = contextKeysCache.get(mol) ?? new Map<number, ContextKeys>();
    contextKeysCache.set(mol, byRadius);
    const keys = byRadius.get(vocab.radius) ?? contextKeysOf(view.record(), mol, vocab.radius);
    byRadius.set(vocab.radius, keys);
    return vocab.encode(kind === 'atom' ? keys.atoms : keys.bonds);
  };
}

/** SHA-256 of the vocabulary file the context labels of `kind` read (null when it cannot be read). */
async function contextInputs(options: ObjectiveOptions, kind: VocabKind): Promise<string | null> {
  const dir = options['vocab'];
  if (typeof dir !== 'string' || dir === '') return null;
  try {
    const bytes = await readFile(join(dir, vocabFileName(kind)));
    return createHash('sha256').update(bytes).digest('hex');
  } catch {
    return null;
  }
}

/** Labels computed from the molecule at featurization time, by name (objectives name them). */
export const MOLECULE_LABELS = {
  /** GROVER's 85 binarized RDKit fr_* counts (src/chem/fragments.ts), per molecule. */
  motifs: label({
    level: 'molecule',
    width: 85,
    alloc: (n) => new Uint8Array(n),
    setup: async () => motifCompute,
  }),
  /** Each atom's GROVER context key's vocabulary index (option vocab). */
  atomContext: label({
    level: 'atom',
    width: 1,
    alloc: (n) => new Int32Array(n),
    setup: (options) => contextLabels(options, 'atom'),
    inputs: (options) => contextInputs(options, 'atom'),
  }),
  /** Each bond's GROVER context key's vocabulary index (option vocab). */
  bondContext: label({
    level: 'bond',
    width: 1,
    alloc: (n) => new Int32Array(n),
    setup: (options) => contextLabels(options, 'bond'),
    inputs: (options) => contextInputs(options, 'bond'),
  }),
} as const;
export type MoleculeLabelName = keyof typeof MOLECULE_LABELS;
/** The storage of a named label. */
export type LabelArrayOf<N extends MoleculeLabelName> =
  (typeof MOLECULE_LABELS)[N] extends LabelDefinition<infer A> ? A : never;
/** Labels by name; each holds its rows (`width` values each) in molecule, atom or bond order. */
export type MoleculeLabels = { readonly [N in MoleculeLabelName]?: LabelArrayOf<N> };

/** A batch of a featurized shard: the graphs, and the labels asked for, in the batch's order. */
export interface PretrainBatch {
  readonly graphs: GraphBatch;
  /** Each molecule's 0-based data row in the source file (shards.ts), in batch order. */
  readonly rows: Int32Array;
  /** numGraphs, numAtoms or numBonds (numEdges / 2) rows of each label, by its level. */
  readonly labels: MoleculeLabels;
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
  /** Labels computed at featurization time (MOLECULE_LABELS; any level, despite the name). */
  readonly moleculeLabels: readonly MoleculeLabelName[];
  /** The options it reads, with their defaults (stored in the run's fingerprint and the encoder file). */
  readonly defaults: ObjectiveOptions;
  readonly flags: readonly ObjectiveFlag[];
  create(ctx: ObjectiveContext): Objective;
}
