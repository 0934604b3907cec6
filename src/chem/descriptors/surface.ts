/**
 * Surface-area descriptors: Labute's approximate surface area and its atom contributions (RDKit
 * getLabuteAtomContribs), TPSA (Ertl et al., J. Med. Chem. 43, 3714 (2000), N and O only, as
 * RDKit's default), E-State indices (Hall, Mohney & Kier, JCICS 31, 76 (1991)) and the MOE-style
 * binned VSA descriptors built from them.
 */
import type { DescriptorMol } from './context.js';
import { outerElectrons } from './context.js';
import { ELEMENT_RB0_EXACT } from './data.js';

const rb0 = (z: number): number => ELEMENT_RB0_EXACT[z]?.[0] ?? 0;

/** Bond-length corrections by RDKit bond type (UNSPECIFIED, SINGLE, DOUBLE, TRIPLE); aromatic 0.1. */
const BOND_SCALE = [0.1, 0, 0.2, 0.3];

/**
 * Labute ASA atom contributions and the (single, lumped) hydrogen term. RDKit adds one hydrogen
 * sphere per atom whatever its hydrogen count, and so does this.
 */
export function labuteContribs(mol: DescriptorMol): { atoms: Float64Array; hContrib: number; total: number } {
  const n = mol.nAtoms;
  const rads = new Float64Array(n);
  const vi = new Float64Array(n);
  for (let i = 0; i < n; i++) rads[i] = rb0(mol.record.atoms[i]!.atomicNum);
  for (const b of mol.record.bonds) {
    const ri = rads[b.begin]!;
    const rj = rads[b.end]!;
    let bij = ri + rj;
    if (b.aromatic) bij -= BOND_SCALE[0]!;
    else if (b.kekuleOrder >= 1 && b.kekuleOrder <= 3) bij -= BOND_SCALE[b.kekuleOrder]!;
    const dij = Math.min(Math.max(Math.abs(ri - rj), bij), ri + rj);
    vi[b.begin] = vi[b.begin]! + (rj * rj - ((ri - dij) * (ri - dij)) / dij);
    vi[b.end] = vi[b.end]! + (ri * ri - ((rj - dij) * (rj - dij)) / dij);
  }
  const rh = rb0(1);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const ri = rads[i]!;
    const bij = ri + rh;
    const dij = Math.min(Math.max(Math.abs(ri - rh), bij), ri + rh);
    vi[i] = vi[i]! + (rh * rh - ((ri - dij) * (ri - dij)) / dij);
    h += ri * ri - ((rh - dij) * (rh - dij)) / dij;
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ri = rads[i]!;
    vi[i] = Math.PI * ri * (4 * ri - vi[i]!);
    total += vi[i]!;
  }
  // RDKit 2022.09 reports no hydrogen term when the summed overlap is exactly 0 (every atom has
  // Rb0 = 0, e.g. [Rf] or [Og]).
  const hContrib = h === 0 ? 0 : Math.PI * rh * (4 * rh - h);
  total += hContrib;
  return { atoms: vi, hContrib, total };
}

/** RDKit's calcTPSA (includeSandP = false). */
export function tpsa(mol: DescriptorMol): number {
  const n = mol.nAtoms;
  const { record } = mol;
  const nNbrs = new Int32Array(n);
  const nSing = new Int32Array(n);
  const nDoub = new Int32Array(n);
  const nTrip = new Int32Array(n);
  const nArom = new Int32Array(n);
  const nHs = new Int32Array(n);
  for (const b of record.bonds) {
    if (record.atoms[b.begin]!.atomicNum === 1) {
      nNbrs[b.end]!--;
      nHs[b.end]!++;
    } else if (record.atoms[b.end]!.atomicNum === 1) {
      nNbrs[b.begin]!--;
      nHs[b.begin]!++;
    } else if (b.aromatic) {
      nArom[b.begin]!++;
      nArom[b.end]!++;
    } else if (b.kekuleOrder === 1) {
      nSing[b.begin]!++;
      nSing[b.end]!++;
    } else if (b.kekuleOrder === 2) {
      nDoub[b.begin]!++;
      nDoub[b.end]!++;
    } else if (b.kekuleOrder === 3) {
      nTrip[b.begin]!++;
      nTrip[b.end]!++;
    }
  }
  let res = 0;
  for (let i = 0; i < n; i++) {
    const atom = record.atoms[i]!;
    const z = atom.atomicNum;
    if (z !== 7 && z !== 8) continue;
    const h = nHs[i]! + atom.totalHs;
    const chg = atom.formalCharge;
    const in3 = mol.inRing3[i] === 1;
    const nb = nNbrs[i]! + mol.nbrs[i]!.length;
    const s = nSing[i]!;
    const d = nDoub[i]!;
    const t = nTrip[i]!;
    const a = nArom[i]!;
    let tmp = -1;
    if (z === 7) {
      if (nb === 1) {
        if (h === 0 && chg === 0 && t === 1) tmp = 23.79;
        else if (h === 1 && chg === 0 && d === 1) tmp = 23.85;
        else if (h === 2 && chg === 0 && s === 1) tmp = 26.02;
        else if (h === 2 && chg === 1 && d === 1) tmp = 25.59;
        else if (h === 3 && chg === 1 && s === 1) tmp = 27.64;
      } else if (nb === 2) {
        if (h === 0 && chg === 0 && s === 1 && d === 1) tmp = 12.36;
        else if (h === 0 && chg === 0 && t === 1 && d === 1) tmp = 13.6;
        else if (h === 1 && chg === 0 && s === 2 && in3) tmp = 21.94;
        else if (h === 1 && chg === 0 && s === 2 && !in3) tmp = 12.03;
        else if (h === 0 && chg === 1 && t === 1 && s === 1) tmp = 4.36;
        else if (h === 1 && chg === 1 && d === 1 && s === 1) tmp = 13.97;
        else if (h === 2 && chg === 1 && s === 2) tmp = 16.61;
        else if (h === 0 && chg === 0 && a === 2) tmp = 12.89;
        else if (h === 1 && chg === 0 && a === 2) tmp = 15.79;
        else if (h === 1 && chg === 1 && a === 2) tmp = 14.14;
      } else if (nb === 3) {
        if (h === 0 && chg === 0 && s === 3 && in3) tmp = 3.01;
        else if (h === 0 && chg === 0 && s === 3 && !in3) tmp = 3.24;
        else if (h === 0 && chg === 0 && s === 1 && d === 2) tmp = 11.68;
        else if (h === 0 && chg === 1 && s === 2 && d === 1) tmp = 3.01;
        else if (h === 1 && chg === 1 && s === 3) tmp = 4.44;
        else if (h === 0 && chg === 0 && a === 3) tmp = 4.41;
        else if (h === 0 && chg === 0 && s === 1 && a === 2) tmp = 4.93;
        else if (h === 0 && chg === 0 && d === 1 && a === 2) tmp = 8.39;
        else if (h === 0 && chg === 1 && a === 3) tmp = 4.1;
        else if (h === 0 && chg === 1 && s === 1 && a === 2) tmp = 3.88;
      } else if (nb === 4) {
        if (h === 0 && s === 4 && chg === 1) tmp = 0;
      }
      if (tmp < 0) tmp = Math.max(30.5 - nb * 8.2 + h * 1.5, 0);
    } else {
      if (nb === 1) {
        if (h === 0 && chg === 0 && d === 1) tmp = 17.07;
        else if (h === 1 && chg === 0 && s === 1) tmp = 20.23;
        else if (h === 0 && chg === -1 && s === 1) tmp = 23.06;
      } else if (nb === 2) {
        if (h === 0 && chg === 0 && s === 2 && in3) tmp = 12.53;
        else if (h === 0 && chg === 0 && s === 2 && !in3) tmp = 9.23;
        else if (h === 0 && chg === 0 && a === 2) tmp = 13.14;
      }
      if (tmp < 0) tmp = Math.max(28.5 - nb * 8.6 + h * 1.5, 0);
    }
    res += tmp;
  }
  return res;
}

function principalQuantumNumber(z: number): number {
  if (z <= 2) return 1;
  if (z <= 10) return 2;
  if (z <= 18) return 3;
  if (z <= 36) return 4;
  if (z <= 54) return 5;
  if (z <= 86) return 6;
  return 7;
}

/** RDKit's EStateIndices (rdkit.Chem.EState.EState), same summation order. */
export function estateIndices(mol: DescriptorMol): Float64Array {
  const n = mol.nAtoms;
  const is = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = mol.nbrs[i]!.length;
    if (d === 0) continue;
    const a = mol.record.atoms[i]!;
    const dv = outerElectrons(a.atomicNum) - a.totalHs;
    const nq = principalQuantumNumber(a.atomicNum);
    is[i] = ((4 / (nq * nq)) * dv + 1) / d;
  }
  const dist = mol.distances();
  const accum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = dist[i * n + j]! + 1;
      if (p < 1e6) {
        const tmp = (is[i]! - is[j]!) / (p * p);
        accum[i] = accum[i]! + tmp;
        accum[j] = accum[j]! - tmp;
      }
    }
  }
  for (let i = 0; i < n; i++) accum[i] = accum[i]! + is[i]!;
  return accum;
}

/** bisect.bisect_right / std::upper_bound: the number of bins <= value (NaN goes past the end). */
export function binIndex(bins: readonly number[], value: number): number {
  let lo = 0;
  let hi = bins.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value < bins[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Sums `weights[i]` into the bin of `keys[i]`; length bins.length + 1. */
export function binned(
  bins: readonly number[],
  keys: ArrayLike<number>,
  weights: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(bins.length + 1);
  for (let i = 0; i < keys.length; i++) {
    const b = binIndex(bins, keys[i]!);
    out[b] = out[b]! + weights[i]!;
  }
  return out;
}

export const SLOGP_BINS = [-0.4, -0.2, 0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6];
export const SMR_BINS = [1.29, 1.82, 2.24, 2.45, 2.75, 3.05, 3.63, 3.8, 4.0];
export const PEOE_BINS = [-0.3, -0.25, -0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
export const VSA_ESTATE_BINS = [4.78, 5.0, 5.41, 5.74, 6.0, 6.07, 6.45, 7.0, 11.0];
export const ESTATE_VSA_BINS = [-0.39, 0.29, 0.717, 1.165, 1.54, 1.807, 2.05, 4.69, 9.17, 15.0];
