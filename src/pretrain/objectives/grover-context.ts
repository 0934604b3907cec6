/**
 * GROVER's contextual-property prediction (Rong et al. 2020; tencent-ailab/grover
 * `grover/data/groverdataset.py` GroverCollator and `GroverTask`'s av/bv heads, read to learn the
 * rules, nothing copied) on ANY encoder, as Sun et al. 2022 ("Does GNN Pretraining Help?") ran
 * GROVER's objectives on GIN:
 *
 * - labels: each atom's and each bond's context key (src/pretrain/grover/context.ts, at the
 *   vocabulary's radius: 1 is GROVER's) looked up in the vocabulary pair of option `vocab`
 *   (`molgrove build-vocab` output; `<other>` = 1 for unknown keys), computed at featurization
 *   time from the RDKit molecule (the bond key needs RDKit's bond stereo and direction), on the
 *   featurization worker (objective.ts MOLECULE_LABELS atomContext / bondContext);
 * - which atoms and bonds are labelled: GROVER's rule (grover/labels.ts sampleLabels): per
 *   molecule ceil(rate · n_atoms) atoms and ceil(rate · n_bonds) undirected bonds drawn without
 *   replacement (rate 0.15), molecule by molecule in batch order, atoms then bonds, from the
 *   trainer's seeded generator; `<other>` labels are predicted like any other (GROVER's NLL
 *   ignores only `<pad>` = 0, the unlabelled rows, which are simply not gathered here);
 * - heads: a linear layer (dim → atom vocabulary size) on a labelled atom's node embedding, and
 *   one (dim → bond vocabulary size) on the SUM of its two end atoms' node embeddings for a
 *   labelled bond; cross-entropy, each the mean over its labelled rows, added. GROVER scores a
 *   bond from its own edge states; the end-atom sum is molgrove's choice for encoders without edge
 *   states (it is how pretrain-gnns represents a bond from node embeddings for --mask_edge);
 * - `mode` (grover/labels.ts MaskMode): 'fixed' (default) hides the labelled atoms and bonds from
 *   the encoder, 'faithful' does not (GROVER as released masks nothing). Hiding: a labelled atom's
 *   code becomes Hu et al.'s mask token (atom type 119 = NUM_ATOM_TYPES − 1, chirality 0), both
 *   directed copies of a labelled bond get bond type 5 = NUM_BOND_TYPES − 1 (direction 0), and
 *   their feature rows are zeroed (GROVER's fixed mode), so that encoders reading codes ('hu')
 *   and encoders reading features (chemprop, grover) are both denied the answer. Any featurizer.
 *
 * Logged terms: total, atom, atomAcc, bond, bondAcc (accuracies over the labelled rows).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphBatch } from '../../data/batch.js';
import { ConfigError, MolgroveError } from '../../errors.js';
import { Linear } from '../../models/layers.js';
import { Module } from '../../models/module.js';
import * as T from '../../tensor/index.js';
import {
  checkMaskMode,
  DEFAULT_MASK_MODE,
  LABEL_FRACTION,
  type MaskMode,
  sampleLabels,
} from '../grover/labels.js';
import { Vocab, type VocabKind, vocabFileName } from '../grover/vocab.js';
import type {
  Objective,
  ObjectiveFactory,
  ObjectiveLoss,
  ObjectiveOptions,
  PretrainBatch,
} from '../objective.js';
import { maskInputs } from './masking.js';
import { argmaxAccuracy } from './metrics.js';

export interface ContextOptions {
  /** Folder with atom_vocab.json and bond_vocab.json. */
  readonly vocab: string;
  readonly mode: MaskMode;
  /** Share of atoms and of bonds labelled per molecule (ceil(rate · n)). */
  readonly rate: number;
}

export interface ContextTargets {
  /** Labelled atoms (global indices, ascending) and their atom-vocabulary ids. */
  readonly atoms: Int32Array;
  readonly atomLabels: Int32Array;
  /** Labelled bonds: batch bond index k (edges 2k, 2k+1), its ends (edge 2k's source, target), its bond-vocabulary id. */
  readonly bonds: Int32Array;
  readonly bondSrc: Int32Array;
  readonly bondDst: Int32Array;
  readonly bondLabels: Int32Array;
}

export interface ContextBatch {
  /** The batch, masked in fixed mode (a copy), as it is in faithful mode. */
  readonly input: GraphBatch;
  readonly targets: ContextTargets;
}

/** The indices whose flag is set (atoms, or directed edges). */
function flagged(flags: Uint8Array): number[] {
  const out: number[] = [];
  flags.forEach((f, i) => {
    if (f) out.push(i);
  });
  return out;
}

/** Draws the labelled atoms and bonds of a batch (GROVER's rule) and builds the loss's input. */
export function prepareContext(
  batch: PretrainBatch,
  rng: T.Rng,
  options: { readonly mode: MaskMode; readonly rate: number },
): ContextBatch {
  const g = batch.graphs;
  const { atomContext, bondContext } = batch.labels;
  if (!atomContext || !bondContext)
    throw new MolgroveError('SHAPE', 'grover-context: the batch has no atomContext/bondContext labels');
  const drawn = sampleLabels(
    {
      numGraphs: g.numGraphs,
      atomOffsets: g.atomOffsets,
      edgeOffsets: g.edgeOffsets,
      atomVocab: atomContext,
      bondVocab: bondContext,
      // No motif task here.
      motifs: new Uint8Array(0),
    },
    rng,
    options.rate,
  );
  const atoms = flagged(drawn.maskAtoms);
  const bonds: number[] = [];
  for (let k = 0; 2 * k < g.numEdges; k++) if (drawn.maskBonds[2 * k]) bonds.push(k);
  const m = g.numEdges;
  return {
    input: options.mode === 'fixed' ? maskInputs(g, atoms, flagged(drawn.maskBonds)) : g,
    targets: {
      atoms: Int32Array.from(atoms),
      atomLabels: Int32Array.from(atoms, (a) => drawn.atom[a]!),
      bonds: Int32Array.from(bonds),
      bondSrc: Int32Array.from(bonds, (k) => g.edgeIndex[2 * k]!),
      bondDst: Int32Array.from(bonds, (k) => g.edgeIndex[m + 2 * k]!),
      bondLabels: Int32Array.from(bonds, (k) => drawn.bond[k]!),
    },
  };
}

function readOptions(o: ObjectiveOptions): ContextOptions {
  const vocab = o['vocab'] ?? '';
  if (typeof vocab !== 'string' || vocab === '')
    throw new ConfigError(
      'grover-context needs a vocabulary: option vocab (--vocab <dir>), a folder with atom_vocab.json ' +
        'and bond_vocab.json as `molgrove build-vocab` writes',
    );
  const mode = checkMaskMode(String(o['mode'] ?? DEFAULT_MASK_MODE));
  const rate = o['rate'] ?? LABEL_FRACTION;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1))
    throw new ConfigError(`grover-context: rate must be in (0, 1], got ${rate}`);
  return { vocab, mode, rate };
}

/** A vocabulary's size, read now (the heads' widths; the labels load it on the featurizing thread). */
function vocabSize(dir: string, kind: VocabKind): number {
  const path = join(dir, vocabFileName(kind));
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(
      `grover-context: no ${vocabFileName(kind)} in ${dir} (build the vocabularies with molgrove build-vocab)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`grover-context: ${path} is not JSON`);
  }
  const vocab = Vocab.fromJson(json, path);
  if (vocab.kind !== kind) throw new ConfigError(`${path} holds a ${vocab.kind} vocabulary`);
  return vocab.size;
}

class ContextHead extends Module {
  readonly atoms: Linear;
  readonly bonds: Linear;
  constructor(dim: number, sizes: { atom: number; bond: number }, rng: T.Rng) {
    super();
    this.atoms = this.child('linear_pred_atom_vocab', new Linear(dim, sizes.atom, rng));
    this.bonds = this.child('linear_pred_bond_vocab', new Linear(dim, sizes.bond, rng));
  }
}

/** Cross-entropy and accuracy of a head on some rows; 0 (still in the graph) when there are none. */
function term(head: Linear, rep: () => T.Tensor, target: Int32Array): { loss: T.Tensor; acc: number } {
  // Single-atom molecules have no bond to label.
  if (target.length === 0) return { loss: T.mulScalar(T.sum(head.weight), 0), acc: 0 };
  const logits = head.forward(rep());
  return { loss: T.crossEntropy(logits, target), acc: argmaxAccuracy(logits, target) };
}

export const groverContextObjective: ObjectiveFactory = {
  name: 'grover-context',
  aliases: ['contextual-property', 'groverctx', 'context-property'],
  description:
    "GROVER's contextual-property prediction on any encoder: atom/bond context-key vocabulary ids (Rong et al. 2020, tencent-ailab/grover; needs --vocab)",
  featurizer: null,
  moleculeLabels: ['atomContext', 'bondContext'],
  defaults: { vocab: '', mode: DEFAULT_MASK_MODE, rate: LABEL_FRACTION },
  // `vocab` and `mode` are the CLI's GROVER flags (--vocab, --mode); declaring them here again
  // would clash with them, so only the rate is a flag of its own.
  flags: [
    {
      key: 'rate',
      flag: '--rate <x>',
      help: 'grover-context: share of atoms and of bonds labelled per molecule, ceil(n·rate) (0.15)',
    },
  ],
  create({ dim, options, rng }): Objective<ContextBatch> {
    const o = readOptions(options);
    const head = new ContextHead(
      dim,
      { atom: vocabSize(o.vocab, 'atom'), bond: vocabSize(o.vocab, 'bond') },
      rng,
    );
    return {
      name: 'grover-context',
      terms: ['total', 'atom', 'atomAcc', 'bond', 'bondAcc'],
      head,
      prepare: (batch, r) => prepareContext(batch, r, o),
      loss(encode, { input, targets: t }): ObjectiveLoss {
        const { nodes } = encode(input);
        const atom = term(head.atoms, () => T.gatherRows(nodes, t.atoms), t.atomLabels);
        const bond = term(
          head.bonds,
          () => T.add(T.gatherRows(nodes, t.bondSrc), T.gatherRows(nodes, t.bondDst)),
          t.bondLabels,
        );
        const total = T.add(atom.loss, bond.loss);
        return {
          total,
          values: {
            total: total.item(),
            atom: atom.loss.item(),
            atomAcc: atom.acc,
            bond: bond.loss.item(),
            bondAcc: bond.acc,
          },
        };
      },
    };
  },
};
