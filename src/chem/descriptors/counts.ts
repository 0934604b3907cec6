/**
 * Counts and weights: molecular weights, electron counts, RDKit's Lipinski-module counts (donor,
 * acceptor and rotatable-bond SMARTS of RDKit 2022.09's C++ descriptors) and ring counts over the
 * molecule's (symmetrized SSSR) ring set.
 */
import { ELEMENTS } from '../periodic-table-data.js';
import { Smarts } from '../rdkit.js';
import { atomMassOf, type DescriptorMol, outerElectrons } from './context.js';
import { ELEMENT_RB0_EXACT } from './data.js';

export const HBD = new Smarts('[N&!H0&v3,N&!H0&+1&v4,O&H1&+0,S&H1&+0,n&H1&+0]');
export const HBA = new Smarts(
  '[$([O,S;H1;v2]-[!$(*=[O,N,P,S])]),$([O,S;H0;v2]),$([O,S;-]),$([N;v3;!$(N-*=!@[O,N,P,S])]),$([nH0,o,s;+0])]',
);
/** RDKit 2022.09's default ("Strict") rotatable-bond definition. */
const ROTATABLE = new Smarts(
  '[!$(*#*)&!D1&!$(C(F)(F)F)&!$(C(Cl)(Cl)Cl)&!$(C(Br)(Br)Br)&!$(C([CH3])([CH3])[CH3])&' +
    '!$([CD3](=[N,O,S])-!@[#7,O,S!D1])&!$([#7,O,S!D1]-!@[CD3]=[N,O,S])&!$([CD3](=[N+])-!@[#7!D1])&' +
    '!$([#7!D1]-!@[CD3]=[N+])]-,:;!@[!$(*#*)&!D1&!$(C(F)(F)F)&!$(C(Cl)(Cl)Cl)&!$(C(Br)(Br)Br)&' +
    '!$(C([CH3])([CH3])[CH3])]',
);

const H_WEIGHT = ELEMENTS[1]![1];
const H_EXACT = ELEMENT_RB0_EXACT[1]![1];
/** RDKit's constants::electronMass; ExactMolWt removes one per unit of positive charge. */
const ELECTRON_MASS = 0.00054857990946;

export function molWeights(mol: DescriptorMol): { molWt: number; heavyMolWt: number; exactMolWt: number } {
  let molWt = 0;
  let heavyMolWt = 0;
  let exactMolWt = 0;
  for (const a of mol.record.atoms) {
    const m = atomMassOf(a.atomicNum, a.isotope);
    molWt += m + a.totalHs * H_WEIGHT;
    if (a.atomicNum !== 1) heavyMolWt += m;
    exactMolWt += a.isotope > 0 ? m : (ELEMENT_RB0_EXACT[a.atomicNum]?.[1] ?? 0);
    exactMolWt += a.totalHs * H_EXACT;
    exactMolWt -= a.formalCharge * ELECTRON_MASS;
  }
  return { molWt, heavyMolWt, exactMolWt };
}

export function heavyAtomCount(mol: DescriptorMol): number {
  let n = 0;
  for (const a of mol.record.atoms) if (a.atomicNum > 1) n++;
  return n;
}

export interface SimpleCounts {
  numValenceElectrons: number;
  numRadicalElectrons: number;
  numHeteroatoms: number;
  nhohCount: number;
  noCount: number;
  fractionCSP3: number;
  numHDonors: number;
  numHAcceptors: number;
  numRotatableBonds: number;
}

export function simpleCounts(mol: DescriptorMol): SimpleCounts {
  let valence = 0;
  let radicals = 0;
  let hetero = 0;
  let nhoh = 0;
  let no = 0;
  let nC = 0;
  let nCSP3 = 0;
  mol.record.atoms.forEach((a, i) => {
    const z = a.atomicNum;
    valence += outerElectrons(z) - a.formalCharge + a.totalHs;
    radicals += a.radicals;
    if (z !== 6 && z !== 1) hetero++;
    if (z === 7 || z === 8) {
      no++;
      nhoh += mol.hsWithNbrs[i]!;
    }
    if (z === 6) {
      nC++;
      if (mol.nbrs[i]!.length + a.totalHs === 4) nCSP3++;
    }
  });
  return {
    numValenceElectrons: valence,
    numRadicalElectrons: radicals,
    numHeteroatoms: hetero,
    nhohCount: nhoh,
    noCount: no,
    fractionCSP3: nC ? nCSP3 / nC : 0,
    numHDonors: mol.view.matches(HBD).length,
    numHAcceptors: mol.view.matches(HBA).length,
    numRotatableBonds: mol.view.matches(ROTATABLE).length,
  };
}

export interface RingCounts {
  ringCount: number;
  aromaticRings: number;
  aromaticHeterocycles: number;
  aromaticCarbocycles: number;
  aliphaticRings: number;
  aliphaticHeterocycles: number;
  aliphaticCarbocycles: number;
  saturatedRings: number;
  saturatedHeterocycles: number;
  saturatedCarbocycles: number;
}

export function ringCounts(mol: DescriptorMol): RingCounts {
  const r: RingCounts = {
    ringCount: mol.record.atomRings.length,
    aromaticRings: 0,
    aromaticHeterocycles: 0,
    aromaticCarbocycles: 0,
    aliphaticRings: 0,
    aliphaticHeterocycles: 0,
    aliphaticCarbocycles: 0,
    saturatedRings: 0,
    saturatedHeterocycles: 0,
    saturatedCarbocycles: 0,
  };
  for (const ring of mol.bondRings) {
    let allAromatic = true;
    let allSingle = true;
    let hetero = false;
    for (const bi of ring) {
      const b = mol.record.bonds[bi];
      if (!b) continue;
      if (!b.aromatic) allAromatic = false;
      if (b.aromatic || b.kekuleOrder !== 1) allSingle = false;
      if (mol.record.atoms[b.begin]!.atomicNum !== 6 || mol.record.atoms[b.end]!.atomicNum !== 6)
        hetero = true;
    }
    if (allAromatic) {
      r.aromaticRings++;
      if (hetero) r.aromaticHeterocycles++;
      else r.aromaticCarbocycles++;
    } else {
      r.aliphaticRings++;
      if (hetero) r.aliphaticHeterocycles++;
      else r.aliphaticCarbocycles++;
    }
    if (allSingle) {
      r.saturatedRings++;
      if (hetero) r.saturatedHeterocycles++;
      else r.saturatedCarbocycles++;
    }
  }
  return r;
}
