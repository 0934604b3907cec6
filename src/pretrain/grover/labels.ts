/**
 * GROVER's self-supervised labels (tencent-ailab/grover `grover/data/groverdataset.py`,
 * `GroverCollator`; read to learn the rules, nothing copied):
 *
 * - Contextual property (atoms): per molecule `ceil(0.15 · n_atoms)` atoms drawn without replacement
 *   get the vocabulary index of their context key (context.ts, vocab.ts; `<other>` = 1 when the key is
 *   not in the vocabulary); every other atom gets 0 = `<pad>`, which the loss ignores.
 * - Contextual property (bonds): the same over the molecule's `ceil(0.15 · n_bonds)` UNDIRECTED bonds.
 *   A label belongs to the bond, not to a direction: GROVER's bond head scores bond k from both of its
 *   directed copies (heads.ts) and its key is symmetric. GROVER enumerates bonds by atom pair
 *   (a1 < a2) where molgrove uses RDKit's bond order (edges 2k/2k+1 of bond k); a uniformly random
 *   subset of bonds has the same distribution under either numbering.
 * - Motifs: the 85 RDKit fr_* counts binarized (src/chem/fragments.ts), one row per molecule.
 *
 * Masking (`MaskMode`): GROVER as released does NOT hide the labelled atoms/bonds from the encoder
 * (the collator only says "may be some mask here"), so the model can read a label's centre atom or
 * bond off its own input features. `faithful` reproduces that. `fixed` (molgrove's default) zeroes
 * the input features of every labelled atom and of both directed copies of every labelled bond
 * (groverGraph's maskAtoms/maskBonds), as the paper describes ("masked" contextual prediction).
 *
 * Sampling uses one seeded `Rng`, drawn molecule by molecule in batch order, so labels are
 * reproducible and, with the generator's state in a checkpoint, resumable.
 */

import type { Featurizer } from '../../chem/featurizers/index.js';
import { fragmentCounts } from '../../chem/fragments.js';
import { perceive } from '../../chem/perception.js';
import type { MolView } from '../../chem/rdkit.js';
import { withMol } from '../../chem/rdkit.js';
import { buildMolGraph, type MolGraph } from '../../data/molgraph.js';
import { ConfigError } from '../../errors.js';
import type * as T from '../../tensor/index.js';
import { contextKeysOf } from './context.js';
import type { Vocab } from './vocab.js';

export type MaskMode = 'fixed' | 'faithful';
export const MASK_MODES: readonly MaskMode[] = ['fixed', 'faithful'];
export const DEFAULT_MASK_MODE: MaskMode = 'fixed';

/** GROVER's share of atoms and bonds labelled per molecule. */
export const LABEL_FRACTION = 0.15;
/** Number of fr_* motif labels (GROVER's fg_size). */
export const MOTIF_COUNT = 85;

export function checkMaskMode(mode: string): MaskMode {
  if (!MASK_MODES.includes(mode as MaskMode)) {
    throw new ConfigError(`mode must be one of ${MASK_MODES.join(', ')}, got '${mode}'`);
  }
  return mode as MaskMode;
}

/** Everything GROVER's tasks need of one molecule, computed once per molecule (labels drawn later). */
export interface GroverExample {
  readonly graph: MolGraph;
  /** Vocabulary index of each atom's context key (never 0). */
  readonly atomVocab: Int32Array;
  /** Vocabulary index of each undirected bond's context key, in RDKit bond order (= edges 2k, 2k+1). */
  readonly bondVocab: Int32Array;
  /** 85 motif bits. */
  readonly motifs: Uint8Array;
}

/** Builds the example of a parsed molecule; `smiles` must be the text `view` came from. */
export function exampleOfView(
  view: MolView,
  smiles: string,
  featurizer: Featurizer,
  vocab: { readonly atom: Vocab; readonly bond: Vocab },
): GroverExample {
  const record = view.record();
  const mol = perceive(record, smiles);
  const graph = buildMolGraph(view, mol, featurizer);
  const keys = contextKeysOf(record, mol, vocab.atom.radius);
  const motifs = Uint8Array.from(fragmentCounts(view), (c) => (c > 0 ? 1 : 0));
  return {
    graph,
    atomVocab: vocab.atom.encode(keys.atoms),
    bondVocab: vocab.bond.encode(keys.bonds),
    motifs,
  };
}

/** Parses a SMILES (RDKit loaded) into its example; throws InvalidSmilesError. */
export function exampleOfSmiles(
  smiles: string,
  featurizer: Featurizer,
  vocab: { readonly atom: Vocab; readonly bond: Vocab },
  where?: { row?: number; source?: string },
): GroverExample {
  return withMol(smiles, (view) => exampleOfView(view, smiles, featurizer, vocab), where);
}

/** Labels of one batch, in the batch's atom / undirected-bond / directed-edge order. */
export interface BatchLabels {
  /** nAtoms: vocabulary index of labelled atoms, 0 elsewhere. */
  readonly atom: Int32Array;
  /** nEdges / 2: vocabulary index of labelled bonds, 0 elsewhere. */
  readonly bond: Int32Array;
  /** numGraphs × 85 motif targets (0/1). */
  readonly motifs: Float32Array;
  /** nAtoms: 1 where the atom is labelled. */
  readonly maskAtoms: Uint8Array;
  /** nEdges (directed): 1 on both copies of a labelled bond. */
  readonly maskBonds: Uint8Array;
}

/** What sampling needs per molecule of a batch (the batch's concatenated vocab indices + offsets). */
export interface LabelSource {
  readonly numGraphs: number;
  /** numGraphs + 1. */
  readonly atomOffsets: Int32Array;
  /** numGraphs + 1, in directed edges. */
  readonly edgeOffsets: Int32Array;
  /** Concatenated per-atom vocab indices. */
  readonly atomVocab: Int32Array;
  /** Concatenated per-bond vocab indices (nEdges / 2). */
  readonly bondVocab: Int32Array;
  /** numGraphs × 85. */
  readonly motifs: Uint8Array;
}

/** `k` distinct indices of 0..n-1: the first k of a uniformly random permutation (numpy's idiom). */
export function sampleIndices(n: number, k: number, rng: T.Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  // Partial Fisher–Yates from the front: k draws instead of n − 1.
  for (let i = 0; i < k && i < n - 1; i++) {
    const j = i + rng.int(n - i);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p.subarray(0, Math.min(k, n));
}

/** Draws GROVER's atom and bond labels for a batch (molecule by molecule, atoms then bonds). */
export function sampleLabels(src: LabelSource, rng: T.Rng, fraction = LABEL_FRACTION): BatchLabels {
  const nAtoms = src.atomOffsets[src.numGraphs]!;
  const nEdges = src.edgeOffsets[src.numGraphs]!;
  const atom = new Int32Array(nAtoms);
  const bond = new Int32Array(nEdges >> 1);
  const maskAtoms = new Uint8Array(nAtoms);
  const maskBonds = new Uint8Array(nEdges);
  for (let g = 0; g < src.numGraphs; g++) {
    const a0 = src.atomOffsets[g]!;
    const na = src.atomOffsets[g + 1]! - a0;
    for (const i of sampleIndices(na, Math.ceil(na * fraction), rng)) {
      atom[a0 + i] = src.atomVocab[a0 + i]!;
      maskAtoms[a0 + i] = 1;
    }
    const b0 = src.edgeOffsets[g]! >> 1;
    const nb = (src.edgeOffsets[g + 1]! >> 1) - b0;
    for (const k of sampleIndices(nb, Math.ceil(nb * fraction), rng)) {
      bond[b0 + k] = src.bondVocab[b0 + k]!;
      maskBonds[2 * (b0 + k)] = 1;
      maskBonds[2 * (b0 + k) + 1] = 1;
    }
  }
  return { atom, bond, motifs: Float32Array.from(src.motifs), maskAtoms, maskBonds };
}
