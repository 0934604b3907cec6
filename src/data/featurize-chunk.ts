/** Featurizes a chunk of SMILES into packed arrays; runs on the main thread or in a worker. */
import { getFeaturizer } from '../chem/featurizers/index.js';
import { InvalidSmilesError } from '../errors.js';
import type { InvalidRow, PackedGraphs } from './featurized.js';
import { packGraphs } from './featurized.js';
import { featurizeSmiles, type MolGraph } from './molgraph.js';

export interface ChunkResult {
  readonly packed: PackedGraphs;
  readonly invalid: InvalidRow[];
}

/** `firstRow` is the dataset row of smiles[0]. Invalid rows are collected, never thrown. */
export function featurizeChunk(smiles: readonly string[], firstRow: number, preset: string): ChunkResult {
  const featurizer = getFeaturizer(preset);
  const graphs: MolGraph[] = [];
  const rows: number[] = [];
  const invalid: InvalidRow[] = [];
  smiles.forEach((s, i) => {
    const row = firstRow + i;
    try {
      graphs.push(featurizeSmiles(s, featurizer, { row }));
      rows.push(row);
    } catch (err) {
      if (!(err instanceof InvalidSmilesError)) throw err;
      invalid.push({ row, smiles: s, message: 'RDKit cannot parse this SMILES' });
    }
  });
  const packed = packGraphs(graphs, rows);
  return { packed, invalid };
}
