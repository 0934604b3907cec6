/** Counts the context keys of a chunk of SMILES; runs on the main thread or in a worker (count-worker.ts). */
import { InvalidSmilesError } from '../../errors.js';
import { contextKeys } from './context.js';

export interface ChunkCounts {
  readonly atoms: Map<string, number>;
  readonly bonds: Map<string, number>;
  /** Molecules RDKit parsed (their keys are in the maps). */
  readonly molecules: number;
  /** Data rows (0-based) RDKit could not parse, in order. */
  readonly invalid: number[];
}

function add(counts: Map<string, number>, keys: readonly string[]): void {
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
}

/** `firstRow` is the data row of smiles[0]. Unparsable SMILES are listed, never thrown. */
export function countChunk(smiles: readonly string[], firstRow: number, radius: number): ChunkCounts {
  const atoms = new Map<string, number>();
  const bonds = new Map<string, number>();
  const invalid: number[] = [];
  let molecules = 0;
  smiles.forEach((s, i) => {
    const row = firstRow + i;
    let keys: ReturnType<typeof contextKeys>;
    try {
      keys = contextKeys(s, radius, { row });
    } catch (err) {
      if (!(err instanceof InvalidSmilesError)) throw err;
      invalid.push(row);
      return;
    }
    add(atoms, keys.atoms);
    add(bonds, keys.bonds);
    molecules++;
  });
  return { atoms, bonds, molecules, invalid };
}
