/**
 * GROVER's contextual properties: for every atom and every bond of a molecule, a string describing
 * its neighbourhood, later looked up in a vocabulary (vocab.ts) to give the pretraining label.
 *
 * Radius 1 is GROVER's definition (tencent-ailab/grover `grover/data/task_labels.py`,
 * `atom_to_vocab` / `bond_to_vocab`, read to learn the format; nothing copied):
 *
 * - Atom key: the atom's symbol, then for each distinct `{neighbourSymbol}-{BondType}` (sorted as
 *   strings) the term `_{that}{count}`. Acetic acid's carbonyl carbon: `C_C-SINGLE1_O-DOUBLE1_O-SINGLE1`.
 * - Bond key: the bond's feature name `({BondType}-{BondStereo}-{BondDir})`, then for each distinct
 *   `{endSymbol}-{feature name of another bond at that end}` (sorted) the term `_{that}{count}`. The
 *   symbol is the one of the bond's OWN end atom the other bond touches, not of the far atom. Acetic
 *   acid's C=O: `(DOUBLE-STEREONONE-NONE)_C-(SINGLE-STEREONONE-NONE)2`.
 *
 * Names are RDKit's Python enum names: BondType SINGLE, DOUBLE, TRIPLE, AROMATIC (also QUADRUPLE,
 * DATIVE, ZERO, OTHER); BondStereo STEREONONE, STEREOANY, STEREOZ, STEREOE; BondDir NONE, ENDUPRIGHT,
 * ENDDOWNRIGHT. Symbols are RDKit's GetSymbol(): element symbol whatever the charge, isotope or
 * aromaticity (`*` for a dummy atom). Stereo is E/Z from RDKit's legacy perception and the direction
 * is what RDKit keeps from `/` `\` after parsing (only next to an E/Z double bond), both as
 * src/chem/perception.ts derives them (parity with Python RDKit tested there); for SMILES without
 * `/` `\` every direction is NONE, as in Python.
 *
 * Radius k > 1 (GROVER hard-wires k = 1; this generalization is molgrove's): a breadth-first search
 * from the atom (or from both ends of the bond, each at distance 0) gives every atom its hop
 * distance. Every bond (w, u) with dist(u) = dist(w) + 1 ≤ k, i.e. every bond of a shortest path
 * leading outwards, contributes one term: for atom keys `{symbol(u)}-{BondType(w,u)}` (the farther
 * atom, as GROVER pairs a neighbour with its bond), for bond keys `{symbol(w)}-({feature name of
 * (w,u)})` (the nearer atom, as GROVER pairs an end atom with its other bond). A term at distance
 * d ≥ 2 is prefixed `d{d}:`, so `C_C-SINGLE1_d2:O-SINGLE1` is ethanol's methyl carbon at radius 2.
 * Terms are counted and sorted exactly as at radius 1, and the radius-1 terms are GROVER's own,
 * so radius 1 reproduces GROVER's keys. Bonds joining two atoms at the same distance (closing an
 * odd ring) add no term, as at radius 1, where a bond between two neighbours adds none either.
 */
import { type PerceivedMol, perceive } from '../../chem/perception.js';
import { ELEMENTS } from '../../chem/periodic-table-data.js';
import { type MolRecord, type MolView, withMol } from '../../chem/rdkit.js';
import { ConfigError } from '../../errors.js';

/** Atom and bond contextual-property keys of one molecule, in RDKit's atom and bond order. */
export interface ContextKeys {
  readonly atoms: string[];
  readonly bonds: string[];
}

export const DEFAULT_RADIUS = 1;
/** Beyond this a key is practically unique to its molecule, which is no use as a label. */
export const MAX_RADIUS = 8;

const STEREO_NAMES = ['STEREONONE', 'STEREOANY', 'STEREOZ', 'STEREOE', 'STEREOCIS', 'STEREOTRANS'];
const DIR_NAMES = ['NONE', 'ENDUPRIGHT', 'ENDDOWNRIGHT'];

/** RDKit's BondType name from the commonchem bond order (which writes non-standard types by enum value). */
function bondTypeName(order: number, aromatic: boolean): string {
  if (aromatic) return 'AROMATIC';
  switch (order) {
    case 1:
      return 'SINGLE';
    case 2:
      return 'DOUBLE';
    case 3:
      return 'TRIPLE';
    case 4:
      return 'QUADRUPLE';
    case 0:
    case 21:
      return 'ZERO';
    case 17:
      return 'DATIVE';
    default:
      return 'OTHER';
  }
}

export function atomSymbol(atomicNum: number): string {
  return ELEMENTS[atomicNum]?.[0] ?? '*';
}

export function checkRadius(radius: number): number {
  if (!Number.isInteger(radius) || radius < 1 || radius > MAX_RADIUS) {
    throw new ConfigError(`radius must be an integer from 1 to ${MAX_RADIUS}, got ${radius}`);
  }
  return radius;
}

/** `symbol_term1count1_term2count2…` with the terms sorted as strings (code-point order, as Python). */
function joinKey(head: string, terms: Map<string, number>): string {
  const keys = [...terms.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = head;
  for (const k of keys) out += `_${k}${terms.get(k)}`;
  return out;
}

function bump(terms: Map<string, number>, term: string): void {
  terms.set(term, (terms.get(term) ?? 0) + 1);
}

/**
 * Keys of a molecule given as RDKit's record plus its perception (which must come from the same
 * SMILES text: bond directions are read from it).
 */
export function contextKeysOf(record: MolRecord, mol: PerceivedMol, radius = DEFAULT_RADIUS): ContextKeys {
  checkRadius(radius);
  const nA = mol.atoms.length;
  const symbols = mol.atoms.map((a) => atomSymbol(a.atomicNum));
  const types = record.bonds.map((b) => bondTypeName(b.kekuleOrder, b.aromatic));
  const features = mol.bonds.map(
    (b, i) => `(${types[i]}-${STEREO_NAMES[b.stereo] ?? 'STEREONONE'}-${DIR_NAMES[b.dir] ?? 'NONE'})`,
  );
  const other = (bi: number, atom: number): number => {
    const b = mol.bonds[bi]!;
    return b.begin === atom ? b.end : b.begin;
  };

  // Breadth-first search from `sources` out to `radius` hops; calls `visit(w, u, bond, dist(u))` for
  // every bond leading one hop outwards. Scratch arrays are shared by all searches of this molecule.
  const dist = new Int32Array(nA).fill(-1);
  const queue = new Int32Array(nA);
  const walk = (sources: readonly number[], visit: (w: number, u: number, bi: number, d: number) => void) => {
    let head = 0;
    let tail = 0;
    for (const s of sources) {
      dist[s] = 0;
      queue[tail++] = s;
    }
    while (head < tail) {
      const w = queue[head++]!;
      const dw = dist[w]!;
      if (dw >= radius) continue;
      for (const bi of mol.atomBonds[w] ?? []) {
        const u = other(bi, w);
        if (dist[u] === -1) {
          dist[u] = dw + 1;
          queue[tail++] = u;
        }
        if (dist[u] === dw + 1) visit(w, u, bi, dw + 1);
      }
    }
    for (let i = 0; i < tail; i++) dist[queue[i]!] = -1;
  };
  const tag = (d: number): string => (d === 1 ? '' : `d${d}:`);

  const atoms = symbols.map((symbol, v) => {
    const terms = new Map<string, number>();
    walk([v], (_w, u, bi, d) => bump(terms, `${tag(d)}${symbols[u]}-${types[bi]}`));
    return joinKey(symbol, terms);
  });
  const bonds = mol.bonds.map((b, i) => {
    const terms = new Map<string, number>();
    walk([b.begin, b.end], (w, _u, bi, d) => bump(terms, `${tag(d)}${symbols[w]}-${features[bi]}`));
    return joinKey(features[i]!, terms);
  });
  return { atoms, bonds };
}

/** Keys of a parsed molecule; `smiles` must be the text `view` was parsed from. */
export function contextKeysOfView(view: MolView, smiles: string, radius = DEFAULT_RADIUS): ContextKeys {
  const record = view.record();
  return contextKeysOf(record, perceive(record, smiles), radius);
}

/** Keys of a SMILES string (RDKit must be loaded); throws InvalidSmilesError when it does not parse. */
export function contextKeys(
  smiles: string,
  radius = DEFAULT_RADIUS,
  where?: { row?: number; source?: string },
): ContextKeys {
  return withMol(smiles, (view) => contextKeysOfView(view, smiles, radius), where);
}
