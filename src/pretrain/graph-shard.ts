/**
 * A shard's SMILES (shards.ts) featurized for a generic objective: MolGraphs with any featurizer
 * preset, plus the labels the objective asks for (objective.ts MOLECULE_LABELS: per molecule, atom
 * or bond), from one RDKit parse per molecule, packed in typed arrays that move between threads
 * without copying; and batches drawn from it. Invalid SMILES are listed and skipped.
 */
import { getFeaturizer } from '../chem/featurizers/index.js';
import { perceive } from '../chem/perception.js';
import { loadRDKit, withMol } from '../chem/rdkit.js';
import { FeaturizedDataset, type PackedGraphs, packGraphs } from '../data/featurized.js';
import { buildMolGraph, type MolGraph } from '../data/molgraph.js';
import { InvalidSmilesError, MolgroveError } from '../errors.js';
import type { StreamShard } from './loop.js';
import {
  type LabelArray,
  type LabelCompute,
  type LabelLevel,
  MOLECULE_LABELS,
  type MoleculeLabelName,
  type MoleculeLabels,
  type ObjectiveOptions,
  type PretrainBatch,
} from './objective.js';

export interface PackedGraphShard {
  readonly featurizer: string;
  readonly atomDim: number;
  readonly bondDim: number;
  /** `packed.rows` holds each valid molecule's source row. */
  readonly packed: PackedGraphs;
  /** Per label name: its rows for every packed molecule, atom or bond (by its level), in packed order. */
  readonly labels: MoleculeLabels;
  /** Source rows RDKit could not parse. */
  readonly invalid: Int32Array;
}

/** A label set up for featurization (objective.ts LabelDefinition.setup). */
export interface ShardLabeler {
  readonly name: MoleculeLabelName;
  readonly compute: LabelCompute;
}

/** Sets up the labels `names` with the objective's options (once per featurizing thread). */
export function setupLabels(
  names: readonly MoleculeLabelName[],
  options: ObjectiveOptions,
): Promise<ShardLabeler[]> {
  return Promise.all(
    names.map(async (name) => ({
      name,
      compute: (await MOLECULE_LABELS[name].setup(options)) as LabelCompute,
    })),
  );
}

/** Row of molecule `m`'s first molecule / atom / bond row in a packed shard or a batch (m = count: the total). */
function rowStart(
  level: LabelLevel,
  g: { readonly atomOffsets: Int32Array; readonly edgeOffsets: Int32Array },
  m: number,
): number {
  if (level === 'molecule') return m;
  return level === 'atom' ? g.atomOffsets[m]! : g.edgeOffsets[m]! >> 1;
}

function rowCount(level: LabelLevel, graph: MolGraph): number {
  if (level === 'molecule') return 1;
  return level === 'atom' ? graph.numAtoms : graph.numEdges >> 1;
}

/** Featurizes a shard on this thread (RDKit must be loaded). */
export function featurizeGraphShardSync(
  rows: ArrayLike<number>,
  smiles: readonly string[],
  featurizerName: string,
  labelers: readonly ShardLabeler[],
): PackedGraphShard {
  const featurizer = getFeaturizer(featurizerName);
  const graphs: MolGraph[] = [];
  const kept: number[] = [];
  const invalid: number[] = [];
  const parts = labelers.map(() => [] as LabelArray[]);
  smiles.forEach((s, i) => {
    const row = rows[i]!;
    try {
      withMol(
        s,
        (view) => {
          const mol = perceive(view.record(), s);
          const graph = buildMolGraph(view, mol, featurizer);
          const values = labelers.map(({ name, compute }) => {
            const v = compute({ view, mol, smiles: s });
            const def = MOLECULE_LABELS[name];
            const want = def.width * rowCount(def.level, graph);
            if (v.length !== want)
              throw new MolgroveError(
                'SHAPE',
                `label ${name} of row ${row}: ${v.length} values, expected ${want}`,
              );
            return v;
          });
          graphs.push(graph);
          values.forEach((v, j) => {
            parts[j]!.push(v);
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
  const labels: Partial<Record<MoleculeLabelName, LabelArray>> = {};
  labelers.forEach(({ name }, j) => {
    const all = parts[j]!;
    const out = MOLECULE_LABELS[name].alloc(all.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of all) {
      out.set(p, o);
      o += p.length;
    }
    labels[name] = out;
  });
  return {
    featurizer: featurizer.name,
    atomDim: featurizer.atomDim,
    bondDim: featurizer.bondDim,
    packed: packGraphs(graphs, kept),
    labels: labels as MoleculeLabels,
    invalid: Int32Array.from(invalid),
  };
}

/**
 * Featurizes shards on this thread (loading RDKit, and setting the labels up on first use): the
 * trainer's inline path.
 */
export function graphShardFeaturizer(
  featurizerName: string,
  names: readonly MoleculeLabelName[],
  options: ObjectiveOptions = {},
): (shard: {
  readonly rows: ArrayLike<number>;
  readonly smiles: readonly string[];
}) => Promise<PackedGraphShard> {
  let labelers: Promise<ShardLabeler[]> | undefined;
  return async ({ rows, smiles }) => {
    await loadRDKit();
    labelers ??= setupLabels(names, options);
    return featurizeGraphShardSync(rows, smiles, featurizerName, await labelers);
  };
}

export function featurizeGraphShard(
  rows: ArrayLike<number>,
  smiles: readonly string[],
  featurizerName: string,
  names: readonly MoleculeLabelName[],
  options: ObjectiveOptions = {},
): Promise<PackedGraphShard> {
  return graphShardFeaturizer(featurizerName, names, options)({ rows, smiles });
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

/** A featurized shard with the labels its objective asked for. */
export class GraphShardData extends PackedShardData implements StreamShard {
  constructor(readonly shard: PackedGraphShard) {
    super(shard.featurizer, shard.atomDim, shard.bondDim, shard.packed);
  }

  batch(molecules: readonly number[]): PretrainBatch {
    const graphs = this.dataset.batch(molecules);
    const packed = this.shard.packed;
    const labels: Partial<Record<MoleculeLabelName, LabelArray>> = {};
    for (const [name, all] of Object.entries(this.shard.labels) as [MoleculeLabelName, LabelArray][]) {
      const { level, width: w, alloc } = MOLECULE_LABELS[name];
      const out = alloc(rowStart(level, graphs, molecules.length) * w);
      molecules.forEach((m, i) => {
        const from = all.subarray(rowStart(level, packed, m) * w, rowStart(level, packed, m + 1) * w);
        out.set(from, rowStart(level, graphs, i) * w);
      });
      labels[name] = out;
    }
    const rows = Int32Array.from(molecules, (m) => packed.rows[m]!);
    return { graphs, rows, labels: labels as MoleculeLabels };
  }
}
