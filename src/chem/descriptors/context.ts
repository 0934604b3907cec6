/**
 * The molecule as the descriptor modules see it: RDKit's parsed record plus the per-atom facts
 * (hybridization, conjugation, neighbours, rings) they share. Built once per molecule.
 */
import { type PerceivedMol, perceive } from '../perception.js';
import { ELEMENTS, ISOTOPE_MASSES } from '../periodic-table-data.js';
import type { MolRecord, MolView } from '../rdkit.js';

export interface DescriptorMol {
  readonly view: MolView;
  readonly record: MolRecord;
  readonly perceived: PerceivedMol;
  readonly nAtoms: number;
  /** Neighbour atom indices per atom, in RDKit bond order. */
  readonly nbrs: readonly (readonly number[])[];
  /** Bond indices per atom, parallel to `nbrs`. */
  readonly atomBonds: readonly (readonly number[])[];
  /** RDKit's GetTotalNumHs(true): implicit/explicit Hs plus hydrogen neighbours in the graph. */
  readonly hsWithNbrs: Int32Array;
  /** Rings (RDKit's symmetrized SSSR) as bond indices. */
  readonly bondRings: readonly (readonly number[])[];
  /** Number of SSSR rings of size 3 that contain the atom (> 0: IsAtomInRingOfSize(3)). */
  readonly inRing3: Uint8Array;
  /** Topological distance matrix (bond counts; Infinity between fragments), row-major, lazily built. */
  distances(): Float64Array;
}

export function outerElectrons(z: number): number {
  return ELEMENTS[z]?.[3] ?? 0;
}

export function elementSymbol(z: number): string {
  return ELEMENTS[z]?.[0] ?? '';
}

/** RDKit's Atom::getMass(): the isotope's mass when one is set (its mass number if unknown). */
export function atomMassOf(z: number, isotope: number): number {
  if (isotope > 0) return ISOTOPE_MASSES[`${z}:${isotope}`] ?? isotope;
  return ELEMENTS[z]?.[1] ?? 0;
}

export function buildContext(view: MolView): DescriptorMol {
  const record = view.record();
  // Hybridization and conjugation do not depend on which hydrogens were written explicitly, so the
  // SMILES text (used by perceive() only for bracket atoms and bond directions) is not needed.
  const perceived = perceive(record, '');
  const nAtoms = record.atoms.length;
  const nbrs: number[][] = Array.from({ length: nAtoms }, () => []);
  const atomBonds: number[][] = Array.from({ length: nAtoms }, () => []);
  const bondIndex = new Map<number, number>();
  record.bonds.forEach((b, i) => {
    nbrs[b.begin]!.push(b.end);
    nbrs[b.end]!.push(b.begin);
    atomBonds[b.begin]!.push(i);
    atomBonds[b.end]!.push(i);
    bondIndex.set(b.begin * nAtoms + b.end, i);
    bondIndex.set(b.end * nAtoms + b.begin, i);
  });
  const hsWithNbrs = new Int32Array(nAtoms);
  record.atoms.forEach((a, i) => {
    let n = a.totalHs;
    for (const j of nbrs[i]!) if (record.atoms[j]!.atomicNum === 1) n++;
    hsWithNbrs[i] = n;
  });
  const inRing3 = new Uint8Array(nAtoms);
  const bondRings = record.atomRings.map((ring) => {
    if (ring.length === 3) for (const a of ring) inRing3[a] = 1;
    return ring.map((a, j) => bondIndex.get(a * nAtoms + ring[(j + 1) % ring.length]!) ?? -1);
  });
  let dist: Float64Array | undefined;
  return {
    view,
    record,
    perceived,
    nAtoms,
    nbrs,
    atomBonds,
    hsWithNbrs,
    bondRings,
    inRing3,
    distances(): Float64Array {
      if (!dist) dist = topologicalDistances(nAtoms, nbrs);
      return dist;
    },
  };
}

/** All-pairs shortest path lengths by breadth-first search from every atom. */
function topologicalDistances(n: number, nbrs: readonly (readonly number[])[]): Float64Array {
  const d = new Float64Array(n * n).fill(Number.POSITIVE_INFINITY);
  const queue = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const row = s * n;
    d[row + s] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    while (head < tail) {
      const u = queue[head++]!;
      const du = d[row + u]!;
      for (const v of nbrs[u]!) {
        if (d[row + v] === Number.POSITIVE_INFINITY) {
          d[row + v] = du + 1;
          queue[tail++] = v;
        }
      }
    }
  }
  return d;
}
