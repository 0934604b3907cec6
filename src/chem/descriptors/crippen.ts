/**
 * Wildman-Crippen atom contributions (J. Chem. Inf. Comput. Sci. 39, 868 (1999)) as RDKit assigns
 * them: each atom takes the first type, in the table's order, whose SMARTS matches with that atom
 * first. RDKit matches without uniquifying, so each SMARTS is wrapped as a one-atom recursive query
 * `[$(SMARTS)]` (an atom matches when some match of SMARTS starts at it); consecutive rows of the
 * same type are merged into one query, which cannot change the first type found.
 *
 * Hydrogens: MolLogP/MolMR type every hydrogen of the H-added molecule; the H rows (H1..H4, HS) are
 * evaluated here from the parent atom's environment, for implicit and graph hydrogens alike.
 */
import { Smarts } from '../rdkit.js';
import type { DescriptorMol } from './context.js';
import { CRIPPEN_TYPES } from './data.js';

interface HeavyType {
  readonly query: Smarts;
  readonly logp: number;
  readonly mr: number;
  /** Atomic numbers the type's first atom can have (null: unknown, always try the query). */
  readonly elements: ReadonlySet<number> | null;
}

const LABEL_ELEMENT: Record<string, number> = { C: 6, N: 7, O: 8, S: 16, F: 9, Cl: 17, Br: 35, I: 53, P: 15 };

/** Elements a type's first atom can be: from the label (C12, NS, O5, S2, Cl...) or its [#n,...] lists. */
function typeElements(label: string, smarts: readonly string[]): ReadonlySet<number> | null {
  const m = /^(C|N|O|S)(\d+|S)?$/.exec(label) ?? /^(F|Cl|Br|I|P)$/.exec(label);
  if (m) return new Set([LABEL_ELEMENT[m[1]!]!]);
  const out = new Set<number>();
  for (const s of smarts) {
    const first = /^\[([^\]]*)\]/.exec(s);
    const nums = first ? [...first[1]!.matchAll(/#(\d+)/g)].map((x) => Number(x[1])) : [];
    if (nums.length === 0) return null;
    for (const z of nums) out.add(z);
  }
  return out;
}

const H_ROW = /^H(\d|S$)/;
const HEAVY: HeavyType[] = [];
const H_PARAMS: Record<string, readonly [number, number]> = {};
{
  let i = 0;
  while (i < CRIPPEN_TYPES.length) {
    const [label, , logp, mr] = CRIPPEN_TYPES[i]!;
    const group: string[] = [];
    while (i < CRIPPEN_TYPES.length && CRIPPEN_TYPES[i]![0] === label) {
      group.push(CRIPPEN_TYPES[i]![1]);
      i++;
    }
    if (H_ROW.test(label)) H_PARAMS[label] = [logp, mr];
    else {
      const query = new Smarts(`[${group.map((s) => `$(${s})`).join(',')}]`);
      HEAVY.push({ query, logp, mr, elements: typeElements(label, group) });
    }
  }
}

/** SMARTS's default bond: single or aromatic. */
function singleOrAromatic(mol: DescriptorMol, a: number, b: number): boolean {
  for (const bi of mol.atomBonds[a]!) {
    const bond = mol.record.bonds[bi]!;
    if (bond.begin === b || bond.end === b) return bond.aromatic || bond.kekuleOrder === 1;
  }
  return false;
}

/**
 * The Crippen type label of a hydrogen bonded to `parent` (-1: no parent). `self` is the hydrogen's
 * own graph index when it is a graph atom (so it is not taken as another neighbour of the parent).
 */
function hydrogenType(mol: DescriptorMol, parent: number, self: number): string {
  if (parent < 0) return 'HS';
  const atoms = mol.record.atoms;
  const p = atoms[parent]!;
  const z = p.atomicNum;
  if (z === 6 || z === 1) return 'H1';
  const aliphaticO = z === 8 && !p.aromatic;
  // Other neighbours of the parent: graph neighbours (not this H) and its other hydrogens.
  const others = mol.nbrs[parent]!.filter((j) => j !== self);
  const otherHs = mol.hsWithNbrs[parent]! - 1 - others.filter((j) => atoms[j]!.atomicNum === 1).length;
  const heavyOthers = others.filter((j) => atoms[j]!.atomicNum !== 1);
  const extraH = otherHs + others.length - heavyOthers.length;
  if (aliphaticO) {
    for (const j of heavyOthers) {
      const a = atoms[j]!;
      if (!singleOrAromatic(mol, parent, j)) continue;
      const totalDegree = mol.nbrs[j]!.length + a.totalHs;
      if ((a.atomicNum === 6 && !a.aromatic && totalDegree === 4) || (a.atomicNum === 6 && a.aromatic)) {
        return 'H2';
      }
    }
    if (extraH > 0) return 'H2';
    for (const j of heavyOthers) {
      const zj = atoms[j]!.atomicNum;
      if (zj !== 6 && zj !== 7 && zj !== 8 && zj !== 16 && singleOrAromatic(mol, parent, j)) return 'H2';
    }
  }
  if (z !== 6 && z !== 7 && z !== 8) return 'H2';
  if (z === 7) return 'H3';
  if (aliphaticO) {
    for (const j of heavyOthers) {
      if (atoms[j]!.atomicNum === 7 && singleOrAromatic(mol, parent, j)) return 'H3';
    }
    for (const j of heavyOthers) {
      const c = atoms[j]!;
      if (c.atomicNum !== 6 || c.aromatic || !singleOrAromatic(mol, parent, j)) continue;
      for (const bi of mol.atomBonds[j]!) {
        const bond = mol.record.bonds[bi]!;
        if (bond.aromatic || bond.kekuleOrder !== 2) continue;
        const k = bond.begin === j ? bond.end : bond.begin;
        if (k === parent) continue;
        const t = atoms[k]!;
        if (t.atomicNum === 6 || t.atomicNum === 7) return 'H4';
        if ((t.atomicNum === 8 || t.atomicNum === 16) && !t.aromatic) return 'H4';
      }
    }
    for (const j of heavyOthers) {
      const t = atoms[j]!;
      if ((t.atomicNum === 8 || t.atomicNum === 16) && !t.aromatic && singleOrAromatic(mol, parent, j)) {
        return 'H4';
      }
    }
  }
  return 'HS';
}

export interface CrippenContribs {
  /** Per graph atom (no implicit hydrogens), as RDKit's getCrippenAtomContribs on the molecule. */
  readonly logp: Float64Array;
  readonly mr: Float64Array;
  /** MolLogP and MolMR: the sums over the H-added molecule. */
  readonly molLogP: number;
  readonly molMR: number;
}

export function crippenContribs(mol: DescriptorMol): CrippenContribs {
  const n = mol.nAtoms;
  const logp = new Float64Array(n);
  const mr = new Float64Array(n);
  const needed = new Uint8Array(n);
  let remaining = 0;
  const atoms = mol.record.atoms;
  const hTypeOfGraphH = (i: number): string => hydrogenType(mol, mol.nbrs[i]![0] ?? -1, i);
  for (let i = 0; i < n; i++) {
    if (atoms[i]!.atomicNum === 1) {
      const [lp, m] = H_PARAMS[hTypeOfGraphH(i)]!;
      logp[i] = lp;
      mr[i] = m;
    } else {
      needed[i] = 1;
      remaining++;
    }
  }
  const present = new Set<number>();
  for (let i = 0; i < n; i++) if (needed[i]) present.add(atoms[i]!.atomicNum);
  for (const t of HEAVY) {
    if (remaining === 0) break;
    if (t.elements && ![...t.elements].some((z) => present.has(z))) continue;
    for (const match of mol.view.matches(t.query)) {
      const idx = match[0]!;
      if (needed[idx]) {
        needed[idx] = 0;
        remaining--;
        logp[idx] = t.logp;
        mr[idx] = t.mr;
      }
    }
  }
  let molLogP = 0;
  let molMR = 0;
  for (let i = 0; i < n; i++) {
    molLogP += logp[i]!;
    molMR += mr[i]!;
  }
  for (let i = 0; i < n; i++) {
    const nH = atoms[i]!.totalHs;
    if (nH === 0) continue;
    const [lp, m] = H_PARAMS[hydrogenType(mol, i, -1)]!;
    for (let k = 0; k < nH; k++) {
      molLogP += lp;
      molMR += m;
    }
  }
  return { logp, mr, molLogP, molMR };
}
