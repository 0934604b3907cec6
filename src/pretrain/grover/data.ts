/**
 * GROVER's pretraining data: a shard's SMILES (src/pretrain/shards.ts) featurized with the 'grover'
 * preset together with each molecule's context-key vocabulary indices and motif bits (one RDKit
 * parse per molecule), packed in typed arrays that move between threads without copying; and the
 * batches drawn from a featurized shard. Invalid SMILES are listed and skipped.
 */
import { getFeaturizer } from '../../chem/featurizers/index.js';
import { loadRDKit } from '../../chem/rdkit.js';
import type { GraphBatch } from '../../data/batch.js';
import { type PackedGraphs, packGraphs } from '../../data/featurized.js';
import type { MolGraph } from '../../data/molgraph.js';
import { InvalidSmilesError } from '../../errors.js';
import { PackedShardData } from '../graph-shard.js';
import { exampleOfSmiles, type LabelSource, MOTIF_COUNT } from './labels.js';
import type { Vocab } from './vocab.js';

export const GROVER_FEATURIZER = 'grover';

/** One featurized shard. `packed.rows` holds each valid molecule's source row. */
export interface PackedShard {
  readonly atomDim: number;
  readonly bondDim: number;
  readonly packed: PackedGraphs;
  /** Per atom of the packed molecules. */
  readonly atomVocab: Int32Array;
  /** Per undirected bond (packed edges / 2). */
  readonly bondVocab: Int32Array;
  /** molecules × 85. */
  readonly motifs: Uint8Array;
  /** Source rows RDKit could not parse. */
  readonly invalid: Int32Array;
}

/** Featurizes a shard on this thread (RDKit must be loaded). */
export function featurizeShardSync(
  rows: ArrayLike<number>,
  smiles: readonly string[],
  vocab: { readonly atom: Vocab; readonly bond: Vocab },
): PackedShard {
  const featurizer = getFeaturizer(GROVER_FEATURIZER);
  const graphs: MolGraph[] = [];
  const kept: number[] = [];
  const invalid: number[] = [];
  const atomParts: Int32Array[] = [];
  const bondParts: Int32Array[] = [];
  const motifParts: Uint8Array[] = [];
  smiles.forEach((s, i) => {
    const row = rows[i]!;
    try {
      const ex = exampleOfSmiles(s, featurizer, vocab, { row });
      graphs.push(ex.graph);
      kept.push(row);
      atomParts.push(ex.atomVocab);
      bondParts.push(ex.bondVocab);
      motifParts.push(ex.motifs);
    } catch (err) {
      if (!(err instanceof InvalidSmilesError)) throw err;
      invalid.push(row);
    }
  });
  const concatI32 = (parts: Int32Array[]) => {
    const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const motifs = new Uint8Array(motifParts.length * MOTIF_COUNT);
  motifParts.forEach((m, i) => {
    motifs.set(m, i * MOTIF_COUNT);
  });
  return {
    atomDim: featurizer.atomDim,
    bondDim: featurizer.bondDim,
    packed: packGraphs(graphs, kept),
    atomVocab: concatI32(atomParts),
    bondVocab: concatI32(bondParts),
    motifs,
    invalid: Int32Array.from(invalid),
  };
}

export async function featurizeShard(
  rows: ArrayLike<number>,
  smiles: readonly string[],
  vocab: { readonly atom: Vocab; readonly bond: Vocab },
): Promise<PackedShard> {
  await loadRDKit();
  return featurizeShardSync(rows, smiles, vocab);
}

/** A batch of molecules: the encoder's graph batch plus what labels are drawn from. */
export interface PretrainBatch {
  readonly graphs: GraphBatch;
  readonly labels: LabelSource;
}

/** Random access to a featurized shard's molecules. */
export class ShardData extends PackedShardData {
  constructor(readonly shard: PackedShard) {
    super(GROVER_FEATURIZER, shard.atomDim, shard.bondDim, shard.packed);
  }

  batch(molecules: readonly number[]): PretrainBatch {
    const graphs = this.dataset.batch(molecules);
    const p = this.shard.packed;
    const atomVocab = new Int32Array(graphs.numAtoms);
    const bondVocab = new Int32Array(graphs.numEdges >> 1);
    const motifs = new Uint8Array(molecules.length * MOTIF_COUNT);
    molecules.forEach((m, i) => {
      const a0 = p.atomOffsets[m]!;
      const a1 = p.atomOffsets[m + 1]!;
      atomVocab.set(this.shard.atomVocab.subarray(a0, a1), graphs.atomOffsets[i]!);
      const b0 = p.edgeOffsets[m]! >> 1;
      const b1 = p.edgeOffsets[m + 1]! >> 1;
      bondVocab.set(this.shard.bondVocab.subarray(b0, b1), graphs.edgeOffsets[i]! >> 1);
      motifs.set(this.shard.motifs.subarray(m * MOTIF_COUNT, (m + 1) * MOTIF_COUNT), i * MOTIF_COUNT);
    });
    return {
      graphs,
      labels: {
        numGraphs: graphs.numGraphs,
        atomOffsets: graphs.atomOffsets,
        edgeOffsets: graphs.edgeOffsets,
        atomVocab,
        bondVocab,
        motifs,
      },
    };
  }
}
