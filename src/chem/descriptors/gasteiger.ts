/**
 * Gasteiger-Marsili partial charges as RDKit computes them (computeGasteigerCharges: 12 iterations,
 * damping 0.5 halved each round, implicit hydrogens handled as a lumped charge on their atom, no
 * exception for missing parameters: such atoms get the all-zero "X" parameters, which makes their
 * charges NaN or infinite exactly as in RDKit).
 * Ref: J. Gasteiger, M. Marsili, Tetrahedron 36, 3219 (1980).
 */
import { Hybridization } from '../perception.js';
import { type DescriptorMol, elementSymbol } from './context.js';

/** [a, b, c] of the orbital electronegativity polynomial a + b q + c q^2, by "element:mode". */
const PARAMS: Readonly<Record<string, readonly [number, number, number]>> = {
  'H:*': [7.17, 6.24, -0.56],
  'C:sp3': [7.98, 9.18, 1.88],
  'C:sp2': [8.79, 9.32, 1.51],
  'C:sp': [10.39, 9.45, 0.73],
  'N:sp3': [11.54, 10.82, 1.36],
  'N:sp2': [12.87, 11.15, 0.85],
  'N:sp': [15.68, 11.7, -0.27],
  'O:sp3': [14.18, 12.92, 1.39],
  'O:sp2': [17.07, 13.79, 0.47],
  'F:sp3': [14.66, 13.85, 2.31],
  'Cl:sp3': [11.0, 9.69, 1.35],
  'Br:sp3': [10.08, 8.47, 1.16],
  'I:sp3': [9.9, 7.96, 0.96],
  'S:sp3': [10.14, 9.13, 1.38],
  'S:so': [10.14, 9.13, 1.38],
  'S:so2': [12.0, 10.81, 1.2],
  'S:sp2': [10.88, 9.49, 1.33],
  'P:sp3': [8.9, 8.24, 0.96],
  'X:*': [0.0, 0.0, 0.0],
  'P:sp2': [9.665, 8.53, 0.735],
  'Si:sp3': [7.3, 6.567, 0.657],
  'Si:sp2': [7.905, 6.748, 0.443],
  'Si:sp': [9.065, 7.027, -0.002],
  'B:sp3': [5.98, 6.82, 1.605],
  'B:sp2': [6.42, 6.807, 1.322],
  'Be:sp3': [3.845, 6.755, 3.165],
  'Be:sp2': [4.005, 6.725, 3.035],
  'Mg:sp2': [3.565, 5.572, 2.197],
  'Mg:sp3': [3.3, 5.587, 2.447],
  'Mg:sp': [4.04, 5.472, 1.823],
  'Al:sp3': [5.375, 4.953, 0.867],
  'Al:sp2': [5.795, 5.02, 0.695],
};
const IONXH = 20.02;
const DAMP = 0.5;
const DAMP_SCALE = 0.5;
const EPS = 2.220446049250313e-16;

function modeOf(mol: DescriptorMol, i: number): string {
  const atom = mol.perceived.atoms[i]!;
  switch (atom.hybridization) {
    case Hybridization.SP3:
      return 'sp3';
    case Hybridization.SP2:
      return 'sp2';
    case Hybridization.SP:
      return 'sp';
    default:
      if (atom.atomicNum === 1) return '*';
      if (atom.atomicNum === 16) {
        let no = 0;
        for (const j of mol.nbrs[i]!) if (mol.record.atoms[j]!.atomicNum === 8) no++;
        return no === 2 ? 'so2' : no === 1 ? 'so' : 'sp3';
      }
      return '';
  }
}

/** Spreads a formal charge over same-element atoms two conjugated bonds away (RDKit's splitChargeConjugated). */
function splitChargeConjugated(mol: DescriptorMol, charges: Float64Array): void {
  const { record, perceived } = mol;
  for (let aix = 0; aix < mol.nAtoms; aix++) {
    const at = record.atoms[aix]!;
    let formal = at.formalCharge;
    if (!(Math.abs(formal) > EPS && Math.abs(charges[aix]!) < EPS)) continue;
    const marker = [aix];
    for (const b1 of mol.atomBonds[aix]!) {
      if (!perceived.bonds[b1]!.conjugated) continue;
      const bond1 = record.bonds[b1]!;
      const aax = bond1.begin === aix ? bond1.end : bond1.begin;
      for (const b2 of mol.atomBonds[aax]!) {
        if (b2 === b1 || !perceived.bonds[b2]!.conjugated) continue;
        const bond2 = record.bonds[b2]!;
        const yax = bond2.begin === aax ? bond2.end : bond2.begin;
        const yat = record.atoms[yax]!;
        if (yat.atomicNum === at.atomicNum) {
          formal += yat.formalCharge;
          marker.push(yax);
        }
      }
    }
    for (const m of marker) charges[m] = formal / marker.length;
  }
}

/** Gasteiger charges of the graph atoms (implicit hydrogens' charges are not returned). */
export function gasteigerCharges(mol: DescriptorMol, nIter = 12): Float64Array {
  const n = mol.nAtoms;
  const charges = new Float64Array(n);
  const hChrg = new Float64Array(n);
  const ionX = new Float64Array(n);
  const energ = new Float64Array(n);
  const params: (readonly [number, number, number])[] = [];
  splitChargeConjugated(mol, charges);
  for (let i = 0; i < n; i++) {
    const z = mol.record.atoms[i]!.atomicNum;
    const p = PARAMS[`${elementSymbol(z)}:${modeOf(mol, i)}`] ?? PARAMS['X:*']!;
    params.push(p);
    ionX[i] = z === 1 ? IONXH : p[0] + p[1] + p[2];
  }
  const hp = PARAMS['H:*']!;
  let damp = DAMP;
  for (let itx = 0; itx < nIter; itx++) {
    for (let i = 0; i < n; i++) {
      const p = params[i]!;
      energ[i] = p[0] + charges[i]! * (p[1] + p[2] * charges[i]!);
    }
    for (let i = 0; i < n; i++) {
      let dq = 0;
      for (const j of mol.nbrs[i]!) {
        const dx = energ[j]! - energ[i]!;
        const sgn = dx < 0 ? 0 : 1;
        dq += dx / (sgn * (ionX[i]! - ionX[j]!) + ionX[j]!);
      }
      const niHs = mol.record.atoms[i]!.totalHs;
      if (niHs > 0) {
        const qHs = hChrg[i]! / niHs;
        const enr = hp[0] + qHs * (hp[1] + hp[2] * qHs);
        const dx = enr - energ[i]!;
        const sgn = dx < 0 ? 0 : 1;
        const dqH = dx / (sgn * (ionX[i]! - IONXH) + IONXH);
        dq += niHs * dqH;
        hChrg[i] = hChrg[i]! - niHs * dqH * damp;
      }
      charges[i] = charges[i]! + damp * dq;
    }
    damp *= DAMP_SCALE;
  }
  return charges;
}

/** Python's min(a, b) / max(a, b): the first argument unless the second compares smaller / larger. */
const pyMin = (a: number, b: number): number => (b < a ? b : a);
const pyMax = (a: number, b: number): number => (b > a ? b : a);

/**
 * [MaxPartialCharge, MinPartialCharge, MaxAbsPartialCharge, MinAbsPartialCharge] as
 * rdkit.Chem.Descriptors computes them, including its NaN behaviour (Python's min/max keep or drop
 * a NaN depending on argument order). MinAbsPartialCharge is min(|min|, |max|), not the smallest
 * |charge|.
 */
export function partialChargeDescriptors(charges: Float64Array): [number, number, number, number] {
  let minChg = 500;
  let maxChg = -500;
  for (const chg of charges) {
    minChg = pyMin(chg, minChg);
    maxChg = pyMax(chg, maxChg);
  }
  return [
    maxChg,
    minChg,
    pyMax(Math.abs(minChg), Math.abs(maxChg)),
    pyMin(Math.abs(minChg), Math.abs(maxChg)),
  ];
}
