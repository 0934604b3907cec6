/**
 * Atom and bond properties RDKit computes during sanitization but MinimalLib does not return:
 * explicit/implicit hydrogens and valence, conjugation, hybridization, ring membership by size,
 * E/Z stereo and bond directions. Each follows RDKit's own rules (ConjugHybrid.cpp,
 * Aromaticity.cpp countAtomElec) so features equal Python RDKit's; parity is tested against
 * golden values from python3-rdkit.
 */
import { ELEMENTS, ISOTOPE_MASSES } from './periodic-table-data.js';
import type { ChiralTag, MolRecord } from './rdkit.js';
import { lexSmiles } from './smiles-lexer.js';

/** RDKit's HybridizationType values (2022.09 numbering, which added SP2D = 5). */
export const Hybridization = {
  UNSPECIFIED: 0,
  S: 1,
  SP: 2,
  SP2: 3,
  SP3: 4,
  SP2D: 5,
  SP3D: 6,
  SP3D2: 7,
  OTHER: 8,
} as const;

/** RDKit's BondStereo values. */
export const BondStereo = { NONE: 0, ANY: 1, Z: 2, E: 3, CIS: 4, TRANS: 5 } as const;

export type BondType = 'SINGLE' | 'DOUBLE' | 'TRIPLE' | 'AROMATIC' | 'OTHER';

export interface AtomInfo {
  readonly atomicNum: number;
  readonly formalCharge: number;
  readonly chiralTag: ChiralTag;
  readonly aromatic: boolean;
  readonly isotope: number;
  readonly radicals: number;
  /** Heavy (explicit graph) neighbours, RDKit's GetDegree(). */
  readonly degree: number;
  readonly totalHs: number;
  readonly explicitHs: number;
  /** RDKit's NoImplicit flag: written in brackets, so hydrogens are never recomputed. */
  readonly noImplicit: boolean;
  /** RDKit's GetImplicitValence(): implicit hydrogens (0 for bracket atoms). */
  readonly implicitValence: number;
  readonly explicitValence: number;
  readonly totalDegree: number;
  readonly hybridization: number;
  readonly mass: number;
  /** Bit k set when the atom is in an SSSR ring of size k (k < 31; larger sizes set bit 31). */
  readonly ringSizes: number;
  readonly inRing: boolean;
}

export interface BondInfo {
  readonly begin: number;
  readonly end: number;
  readonly type: BondType;
  readonly conjugated: boolean;
  readonly inRing: boolean;
  /** RDKit's BondStereo (0 none, 1 any, 2 Z, 3 E). */
  readonly stereo: number;
  /** RDKit's BondDir (0 none, 1 ENDUPRIGHT, 2 ENDDOWNRIGHT). */
  readonly dir: number;
}

export interface PerceivedMol {
  readonly atoms: readonly AtomInfo[];
  readonly bonds: readonly BondInfo[];
  /** For each atom, indices of its bonds in RDKit's order. */
  readonly atomBonds: readonly (readonly number[])[];
}

function defaultValence(z: number): number {
  return ELEMENTS[z]?.[2] ?? -1;
}
function outerElectrons(z: number): number {
  return ELEMENTS[z]?.[3] ?? 0;
}

export function atomMass(z: number, isotope: number): number {
  if (isotope > 0) return ISOTOPE_MASSES[`${z}:${isotope}`] ?? 0;
  return ELEMENTS[z]?.[1] ?? 0;
}

function bondType(order: number, aromatic: boolean): BondType {
  if (aromatic) return 'AROMATIC';
  if (order === 1) return 'SINGLE';
  if (order === 2) return 'DOUBLE';
  if (order === 3) return 'TRIPLE';
  return 'OTHER';
}

function valenceContrib(type: BondType, kekuleOrder: number): number {
  return type === 'AROMATIC' ? 1.5 : kekuleOrder;
}

/** Derives RDKit's per-atom and per-bond properties from a parsed molecule and its SMILES text. */
export function perceive(record: MolRecord, smiles: string): PerceivedMol {
  const nA = record.atoms.length;
  const atomBonds: number[][] = Array.from({ length: nA }, () => []);
  record.bonds.forEach((b, i) => {
    atomBonds[b.begin]?.push(i);
    atomBonds[b.end]?.push(i);
  });

  // Which atoms were bracket atoms, and how many [H] atoms RDKit folded into each heavy atom.
  const lexed = lexSmiles(smiles.trim().split(/\s/)[0] ?? '', ELEMENTS);
  const lexToAtom = new Int32Array(lexed.atoms.length).fill(-1);
  const bracket = new Uint8Array(nA);
  const removedH = new Uint8Array(nA);
  let k = 0;
  lexed.atoms.forEach((la, li) => {
    const target = record.atoms[k];
    if (target && target.atomicNum === la.atomicNum) {
      lexToAtom[li] = k;
      bracket[k] = la.bracket ? 1 : 0;
      k++;
    }
  });
  const aligned = k === nA;
  if (aligned) {
    for (const [a, b] of lexed.bonds) {
      const ia = lexToAtom[a] ?? -1;
      const ib = lexToAtom[b] ?? -1;
      if (ia < 0 && ib >= 0) removedH[ib] = (removedH[ib] ?? 0) + 1;
      if (ib < 0 && ia >= 0) removedH[ia] = (removedH[ia] ?? 0) + 1;
    }
  }

  const types = record.bonds.map((b) => bondType(b.kekuleOrder, b.aromatic));
  const atoms0 = record.atoms.map((a, i) => {
    const bonds = atomBonds[i] ?? [];
    const degree = bonds.length;
    let kekuleSum = 0;
    for (const bi of bonds) kekuleSum += record.bonds[bi]?.kekuleOrder ?? 0;
    // Bracket atoms keep their Hs explicit; so do aromatic heteroatoms, whose Hs RDKit makes
    // explicit during aromatization (pyrrole's N written "N" still reports implicit valence 0).
    const allExplicit = bracket[i] === 1 || (a.aromatic && a.atomicNum !== 6);
    const explicitHs = allExplicit ? a.totalHs : Math.min(removedH[i] ?? 0, a.totalHs);
    const implicitHs = a.totalHs - explicitHs;
    return {
      degree,
      explicitHs,
      implicitHs,
      explicitValence: kekuleSum + explicitHs,
      totalValence: kekuleSum + a.totalHs,
      totalDegree: degree + a.totalHs,
    };
  });

  // countAtomElec: electrons an atom can donate into a pi system (-1 when it cannot).
  const countAtomElec = (i: number): number => {
    const a = record.atoms[i]!;
    const p = atoms0[i]!;
    const dv = defaultValence(a.atomicNum);
    if (dv <= 1) return -1;
    let degree = p.degree + a.totalHs;
    for (const bi of atomBonds[i] ?? []) {
      const b = record.bonds[bi]!;
      if (Math.round(valenceContrib(types[bi]!, b.kekuleOrder)) === 0) degree--;
    }
    if (degree > 3) return -1;
    const nlp = Math.max(outerElectrons(a.atomicNum) - dv - a.formalCharge, 0);
    let res = dv - degree + nlp - a.radicals;
    if (res > 1 && p.explicitValence - p.degree > 1) res = 1;
    return res;
  };
  const isConjugCandidate = (i: number): boolean => {
    const z = record.atoms[i]!.atomicNum;
    const nouter = outerElectrons(z);
    return (
      (z <= 10 || (nouter !== 5 && nouter !== 6) || (nouter === 6 && atoms0[i]!.totalDegree < 2)) &&
      countAtomElec(i) > 0
    );
  };

  // setConjugation: aromatic bonds, plus multiple bonds next to another candidate's bond.
  const conjugated = record.bonds.map((b) => b.aromatic);
  for (let i = 0; i < nA; i++) {
    if (!isConjugCandidate(i)) continue;
    const sbo = atoms0[i]!.degree + record.atoms[i]!.totalHs;
    if (sbo < 2 || sbo > 3) continue;
    const bonds = atomBonds[i] ?? [];
    for (const b1 of bonds) {
      if (valenceContrib(types[b1]!, record.bonds[b1]!.kekuleOrder) < 1.5) continue;
      for (const b2 of bonds) {
        if (b1 === b2) continue;
        const bond2 = record.bonds[b2]!;
        const other = bond2.begin === i ? bond2.end : bond2.begin;
        if (atoms0[other]!.degree + record.atoms[other]!.totalHs > 3) continue;
        if (isConjugCandidate(other)) {
          conjugated[b1] = true;
          conjugated[b2] = true;
        }
      }
    }
  }

  // Rings: SSSR sizes per atom, ring bonds from consecutive ring atoms.
  const ringSizes = new Int32Array(nA);
  const ringBond = new Set<string>();
  for (const ring of record.atomRings) {
    const bit = ring.length < 31 ? 1 << ring.length : 1 << 31;
    ring.forEach((a, j) => {
      ringSizes[a] = (ringSizes[a] ?? 0) | bit;
      const next = ring[(j + 1) % ring.length]!;
      ringBond.add(a < next ? `${a},${next}` : `${next},${a}`);
    });
  }

  const hasConjugatedBond = (i: number): boolean => (atomBonds[i] ?? []).some((b) => conjugated[b]);
  const numBondsPlusLonePairs = (i: number): number => {
    const a = record.atoms[i]!;
    const p = atoms0[i]!;
    let deg = p.totalDegree;
    for (const bi of atomBonds[i] ?? []) if (record.bonds[bi]!.kekuleOrder === 0) deg--;
    if (a.atomicNum <= 1) return deg;
    const nouter = outerElectrons(a.atomicNum);
    const free = nouter - (p.totalValence + a.formalCharge);
    if (p.totalValence + nouter - a.formalCharge < 8) {
      return deg + Math.trunc((free - a.radicals) / 2) + a.radicals;
    }
    return deg + Math.trunc(free / 2);
  };
  const hybridization = (i: number): number => {
    const a = record.atoms[i]!;
    const p = atoms0[i]!;
    if (a.atomicNum === 0) return Hybridization.UNSPECIFIED;
    if ((a.chiralTag === 1 || a.chiralTag === 2) && p.totalDegree === 4) return Hybridization.SP3;
    const norbs = a.atomicNum < 89 ? numBondsPlusLonePairs(i) : p.totalDegree;
    switch (norbs) {
      case 0:
      case 1:
        return Hybridization.S;
      case 2:
        return Hybridization.SP;
      case 3:
        return Hybridization.SP2;
      case 4:
        return p.totalDegree > 3 || !hasConjugatedBond(i) ? Hybridization.SP3 : Hybridization.SP2;
      case 5:
        return Hybridization.SP3D;
      case 6:
        return Hybridization.SP3D2;
      default:
        return Hybridization.UNSPECIFIED;
    }
  };

  // E/Z: MinimalLib reports cis/trans relative to stereoAtoms; RDKit's GetStereo() reports E/Z,
  // i.e. relative to the highest-CIP-ranked neighbour on each side.
  const stereoOf = (bi: number): number => {
    const b = record.bonds[bi]!;
    if (b.stereo === 'none') return BondStereo.NONE;
    if (b.stereo === 'any') return BondStereo.ANY;
    let flips = 0;
    const ends: [number, number][] = [
      [b.begin, b.end],
      [b.end, b.begin],
    ];
    ends.forEach(([atom, partner], side) => {
      const ref = b.stereoAtoms?.[side];
      let best = -1;
      let bestRank = -1;
      for (const obi of atomBonds[atom] ?? []) {
        const ob = record.bonds[obi]!;
        const nbr = ob.begin === atom ? ob.end : ob.begin;
        if (nbr === partner) continue;
        const rank = record.cipRanks[nbr] ?? -1;
        if (rank > bestRank) {
          bestRank = rank;
          best = nbr;
        }
      }
      if (ref !== undefined && best !== ref) flips++;
    });
    const trans = (b.stereo === 'trans') !== (flips % 2 === 1);
    return trans ? BondStereo.E : BondStereo.Z;
  };
  const stereo = record.bonds.map((_, bi) => stereoOf(bi));

  // Bond directions survive parsing only next to a double bond with E/Z stereo.
  const dirs = new Int8Array(record.bonds.length);
  if (aligned) {
    const bondIndex = new Map<string, number>();
    record.bonds.forEach((b, i) => {
      bondIndex.set(`${b.begin},${b.end}`, i);
      bondIndex.set(`${b.end},${b.begin}`, i);
    });
    // RDKit clears the directions next to double bonds that turned out not to be stereogenic;
    // directions on bonds with no neighbouring double bond stay as written.
    const keepsDirection = (bi: number): boolean => {
      const b = record.bonds[bi]!;
      let nextToDouble = false;
      for (const atom of [b.begin, b.end]) {
        for (const obi of atomBonds[atom] ?? []) {
          if (obi === bi || types[obi] !== 'DOUBLE') continue;
          if ((stereo[obi] ?? 0) >= BondStereo.Z) return true;
          nextToDouble = true;
        }
      }
      return !nextToDouble;
    };
    for (const d of lexed.dirBonds) {
      const a = lexToAtom[d.begin] ?? -1;
      const c = lexToAtom[d.end] ?? -1;
      if (a < 0 || c < 0) continue;
      const bi = bondIndex.get(`${a},${c}`);
      if (bi === undefined || !keepsDirection(bi)) continue;
      const b = record.bonds[bi]!;
      // The stored direction is relative to RDKit's begin atom of the bond.
      dirs[bi] = b.begin === a ? d.dir : d.dir === 1 ? 2 : 1;
    }
  }

  const atoms = record.atoms.map((a, i): AtomInfo => {
    const p = atoms0[i]!;
    return {
      atomicNum: a.atomicNum,
      formalCharge: a.formalCharge,
      chiralTag: a.chiralTag,
      aromatic: a.aromatic,
      isotope: a.isotope,
      radicals: a.radicals,
      degree: p.degree,
      totalHs: a.totalHs,
      explicitHs: p.explicitHs,
      noImplicit: bracket[i] === 1,
      implicitValence: p.implicitHs,
      explicitValence: p.explicitValence,
      totalDegree: p.totalDegree,
      hybridization: hybridization(i),
      mass: atomMass(a.atomicNum, a.isotope),
      ringSizes: ringSizes[i] ?? 0,
      inRing: (ringSizes[i] ?? 0) !== 0,
    };
  });
  const bonds = record.bonds.map(
    (b, i): BondInfo => ({
      begin: b.begin,
      end: b.end,
      type: types[i]!,
      conjugated: conjugated[i]!,
      inRing: ringBond.has(b.begin < b.end ? `${b.begin},${b.end}` : `${b.end},${b.begin}`),
      stereo: stereo[i]!,
      dir: dirs[i]!,
    }),
  );
  return { atoms, bonds, atomBonds };
}

/** RingInfo.IsAtomInRingOfSize. */
export function inRingOfSize(atom: AtomInfo, size: number): boolean {
  return (atom.ringSizes & (size < 31 ? 1 << size : 1 << 31)) !== 0;
}
