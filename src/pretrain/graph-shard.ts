/**
 * A shard's SMILES (shards.ts) featurized for a generic objective: MolGraphs with any featurizer
 * preset, plus the per-molecule labels the objective asks for (objective.ts MOLECULE_LABELS), from
 * one RDKit parse per molecule, packed in typed arrays that move between threads without copying;
 * and batches drawn from it. Invalid SMILES are listed and skipped.
 */
import { getFeaturizer } from '../chem/featurizers/index.js';
import { perceive } from '../chem/perception.js';
import { loadRDKit, withMol } from '../chem/rdkit.js';
import { FeaturizedDataset, type PackedGraphs, packGraphs } from '../data/featurized.js';
import { buildMolGraph, type MolGraph } from '../data/molgraph.js';
import { InvalidSmilesError } from '../errors.js';
import type { StreamShard } from './loop.js';
import { MOLECULE_LABELS, type MoleculeLabelName, type PretrainBatch } from './objective.js';

export interface PackedGraphShard {
  readonly featurizer: string;
  readonly atomDim: number;
  readonly bondDim: number;
  /** `packed.rows` holds each valid molecule's source row. */
  readonly packed: PackedGraphs;
  /** Per label name: molecules × width. */
  readonly labels: Partial<Record<MoleculeLabelName, Uint8Array>>;
  /** Source rows RDKit could not parse. */
  readonly invalid: Int32Array;
}

/** Featurizes a shard on this thread (RDKit must be loaded). */
export function featurizeGraphShardSync(
  rows: ArrayLike<number>,
  smiles: readonly string[],
  featurizerName: string,
  labelNames: readonly MoleculeLabelName[],
): PackedGraphShard {
  const featurizer = getFeaturizer(featurizerName);
  const graphs: MolGraph[] = [];
  const kept: number[] = [];
  const invalid: number[] = [];
  const parts = labelNames.map(() => [] as Uint8Array[]);
  smiles.forEach((s, i) => {
    const row = rows[i]!;
    try {
      withMol(
        s,
        (view) => {
          graphs.push(buildMolGraph(view, perceive(view.record(), s), featurizer));
          labelNames.forEach((name, j) => {
            parts[j]!.push(MOLECULE_LABELS[name].compute(view));
          });
        },
        { row },
      );
      kept.push(row);
    } catch (err) {
      if (!(err instanceof InvalidSmilesError)) throw err;
      invalid.push(row);
    }
  });
  const labels: Partial<Record<MoleculeLabelName, Uint8Array>> = {};
  labelNames.forEach((name, j) => {
    const w = MOLECULE_LABELS[name].width;
    const out = new Uint8Array(kept.length * w);
    parts[j]!.forEach((p, m) => {
      out.set(p, m * w);
    });
    labels[name] = out;
  });
  return {
    featurizer: featurizer.name,
    atomDim: featurizer.atomDim,
    bondDim: featurizer.bondDim,
    packed: packGraphs(graphs, kept),
    labels,
    invalid: Int32Array.from(invalid),
  };
}

export async function featurizeGraphShard(
  rows: ArrayLike<number>,
  smiles: readonly string[],
  featurizerName: string,
  labelNames: readonly MoleculeLabelName[],
): Promise<PackedGraphShard> {
  await loadRDKit();
  return featurizeGraphShardSync(rows, smiles, featurizerName, labelNames);
}

/** Random access to the molecules of a featurized shard, by index or by source row. */
export abstract class PackedShardData {
  protected readonly dataset: FeaturizedDataset;
  /** Source row → molecule index within the shard. */
  private readonly byRow = new Map<number, number>();
  constructor(featurizer: string, atomDim: number, bondDim: number, packed: PackedGraphs) {
    this.dataset = new FeaturizedDataset(featurizer, atomDim, bondDim, packed, [], packed.rows.length);
    packed.rows.forEach((r, i) => {
      this.byRow.set(r, i);
    });
  }

  get size(): number {
    return this.dataset.size;
  }

  /** Molecule index of a source row, or -1 when that row did not parse. */
  indexOfRow(row: number): number {
    return this.byRow.get(row) ?? -1;
  }
}

/** A featurized shard with the molecule labels its objective asked for. */
export class GraphShardData extends PackedShardData implements StreamShard {
  constructor(readonly shard: PackedGraphShard) {
    super(shard.featurizer, shard.atomDim, shard.bondDim, shard.packed);
  }

  batch(molecules: readonly number[]): PretrainBatch {
    const labels: Partial<Record<MoleculeLabelName, Uint8Array>> = {};
    for (const [name, all] of Object.entries(this.shard.labels) as [MoleculeLabelName, Uint8Array][]) {
      const w = MOLECULE_LABELS[name].width;
      const out = new Uint8Array(molecules.length * w);
      molecules.forEach((m, i) => {
        out.set(all.subarray(m * w, (m + 1) * w), i * w);
      });
      labels[name] = out;
    }
    const rows = Int32Array.from(molecules, (m) => this.shard.packed.rows[m]!);
    return { graphs: this.dataset.batch(molecules), rows, labels };
  }
}
