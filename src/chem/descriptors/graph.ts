/**
 * Topological descriptors as RDKit defines them (rdkit.Chem.GraphDescriptors and the C++
 * ConnectivityDescriptors): Kier-Hall Chi indices, Hall-Kier alpha and Kappa shape indices
 * (Rev. Comp. Chem. 2, 367 (1991)), Balaban's J (Chem. Phys. Lett. 89, 399 (1982)), Bertz's
 * complexity index CT (JACS 103, 3599 (1981)) and Bonchev-Trinajstic's Ipc (J. Chem. Phys. 67, 4517
 * (1977)).
 */
import { Hybridization } from '../perception.js';
import { type DescriptorMol, outerElectrons } from './context.js';
import { ELEMENT_RB0_EXACT } from './data.js';

/**
 * Paths of RDKit's findAllPathsOfLengthN (useHs = false): bond walks without repeated bonds and
 * without hydrogen atoms (isotopic ones included), one per bond set.
 */
export interface PathSet {
  /** Number of distinct paths with k bonds, k = 1..maxLen (index k). */
  readonly counts: number[];
  /** Atom sequences (k + 1 atoms; a closed ring repeats its first atom last) of k-bond paths. */
  readonly atomPaths: number[][][];
}

export function findPaths(mol: DescriptorMol, maxLen: number): PathSet {
  const counts = new Array<number>(maxLen + 1).fill(0);
  const atomPaths: number[][][] = Array.from({ length: maxLen + 1 }, () => []);
  const seen: Set<string>[] = Array.from({ length: maxLen + 1 }, () => new Set());
  const bonds: number[] = [];
  const atoms: number[] = [];
  const used = new Uint8Array(mol.record.bonds.length);
  const isH = Uint8Array.from(mol.record.atoms, (a) => (a.atomicNum === 1 ? 1 : 0));
  const walk = (at: number): void => {
    const k = bonds.length;
    if (k > 0) {
      const key = bonds
        .slice()
        .sort((a, b) => a - b)
        .join(',');
      if (!seen[k]!.has(key)) {
        seen[k]!.add(key);
        counts[k]!++;
        atomPaths[k]!.push(atoms.slice());
      }
    }
    if (k === maxLen) return;
    const nb = mol.nbrs[at]!;
    const ab = mol.atomBonds[at]!;
    for (let t = 0; t < nb.length; t++) {
      const bi = ab[t]!;
      if (used[bi] || isH[nb[t]!]) continue;
      used[bi] = 1;
      bonds.push(bi);
      atoms.push(nb[t]!);
      walk(nb[t]!);
      atoms.pop();
      bonds.pop();
      used[bi] = 0;
    }
  };
  for (let s = 0; s < mol.nAtoms; s++) {
    if (isH[s]) continue;
    atoms.push(s);
    walk(s);
    atoms.pop();
  }
  return { counts, atomPaths };
}

/** Hall-Kier valence deltas as 1/sqrt(delta) (0 where delta is 0), RDKit's hkDeltas. */
function hkDeltas(mol: DescriptorMol): Float64Array {
  const out = new Float64Array(mol.nAtoms);
  mol.record.atoms.forEach((a, i) => {
    const n = a.atomicNum;
    const nv = outerElectrons(n);
    let d = 0;
    if (n <= 1) d = 0;
    else if (n <= 10) d = nv - a.totalHs;
    else d = (nv - a.totalHs) / (n - nv - 1);
    out[i] = d !== 0 ? 1 / Math.sqrt(d) : 0;
  });
  return out;
}

/** 1/sqrt(nOuter - totalHs) per atom (0 where that is 0), RDKit's nVals. */
function nVals(mol: DescriptorMol): Float64Array {
  const out = new Float64Array(mol.nAtoms);
  mol.record.atoms.forEach((a, i) => {
    const v = outerElectrons(a.atomicNum) - a.totalHs;
    out[i] = v !== 0 ? 1 / Math.sqrt(v) : 0;
  });
  return out;
}

function chiN(paths: number[][], w: Float64Array, n: number): number {
  let res = 0;
  for (const p of paths) {
    let acc = 1;
    for (let i = 0; i < n; i++) acc *= w[p[i]!]!;
    if (p[n] !== p[0]) acc *= w[p[n]!]!;
    res += acc;
  }
  return res;
}

export interface ChiValues {
  chi0: number;
  chi1: number;
  chi0n: number;
  chi1n: number;
  chi2n: number;
  chi3n: number;
  chi4n: number;
  chi0v: number;
  chi1v: number;
  chi2v: number;
  chi3v: number;
  chi4v: number;
}

export function chiIndices(mol: DescriptorMol, paths: PathSet): ChiValues {
  const degrees = mol.nbrs.map((x) => x.length);
  let chi0 = 0;
  for (const d of degrees) if (d !== 0) chi0 += Math.sqrt(1 / d);
  let chi1 = 0;
  for (const b of mol.record.bonds) {
    const c = degrees[b.begin]! * degrees[b.end]!;
    if (c !== 0) chi1 += Math.sqrt(1 / c);
  }
  const hk = hkDeltas(mol);
  const nv = nVals(mol);
  let chi0v = 0;
  let chi0n = 0;
  for (let i = 0; i < mol.nAtoms; i++) {
    chi0v += hk[i]!;
    chi0n += nv[i]!;
  }
  let chi1v = 0;
  let chi1n = 0;
  for (const b of mol.record.bonds) {
    chi1v += hk[b.begin]! * hk[b.end]!;
    chi1n += nv[b.begin]! * nv[b.end]!;
  }
  const ap = paths.atomPaths;
  return {
    chi0,
    chi1,
    chi0n,
    chi1n,
    chi2n: chiN(ap[2]!, nv, 2),
    chi3n: chiN(ap[3]!, nv, 3),
    chi4n: chiN(ap[4]!, nv, 4),
    chi0v,
    chi1v,
    chi2v: chiN(ap[2]!, hk, 2),
    chi3v: chiN(ap[3]!, hk, 3),
    chi4v: chiN(ap[4]!, hk, 4),
  };
}

function alphaOf(z: number, hyb: number): number | undefined {
  switch (z) {
    case 1:
      return 0;
    case 6:
      return hyb === Hybridization.SP ? -0.22 : hyb === Hybridization.SP2 ? -0.13 : 0;
    case 7:
      return hyb === Hybridization.SP ? -0.29 : hyb === Hybridization.SP2 ? -0.2 : -0.04;
    case 8:
      return hyb === Hybridization.SP2 ? -0.2 : -0.04;
    case 9:
      return -0.07;
    case 15:
      return hyb === Hybridization.SP2 ? 0.3 : 0.43;
    case 16:
      return hyb === Hybridization.SP2 ? 0.22 : 0.35;
    case 17:
      return 0.29;
    case 35:
      return 0.48;
    case 53:
      return 0.73;
    default:
      return undefined;
  }
}

export function hallKierAlpha(mol: DescriptorMol): number {
  const rC = ELEMENT_RB0_EXACT[6]![0];
  let sum = 0;
  mol.record.atoms.forEach((a, i) => {
    const z = a.atomicNum;
    if (z === 0) return;
    const alpha = alphaOf(z, mol.perceived.atoms[i]!.hybridization);
    sum += alpha ?? (ELEMENT_RB0_EXACT[z]?.[0] ?? 0) / rC - 1;
  });
  return sum;
}

export function kappas(
  heavyAtoms: number,
  nBonds: number,
  paths: PathSet,
  alpha: number,
): [number, number, number] {
  const A = heavyAtoms;
  const d1 = nBonds + alpha;
  const k1 = d1 ? ((A + alpha) * (A + alpha - 1) * (A + alpha - 1)) / (d1 * d1) : 0;
  const p2 = paths.counts[2]! + alpha;
  const d2 = p2 * p2;
  const k2 = d2 ? ((A + alpha - 1) * (A + alpha - 2) * (A + alpha - 2)) / d2 : 0;
  const p3 = paths.counts[3]! + alpha;
  const d3 = p3 * p3;
  let k3 = 0;
  if (d3) {
    k3 =
      A % 2
        ? ((A + alpha - 1) * (A + alpha - 3) * (A + alpha - 3)) / d3
        : ((A + alpha - 2) * (A + alpha - 3) * (A + alpha - 3)) / d3;
  }
  return [k1, k2, k3];
}

/** RDKit's bond type as a double (aromatic 1.5); ZERO-order bonds count 0. */
function bondOrder(mol: DescriptorMol, bi: number): number {
  const b = mol.record.bonds[bi]!;
  return b.aromatic ? 1.5 : b.kekuleOrder;
}

const DIST_INF = 1e8;

/** GetDistanceMatrix(useBO=1): shortest paths with bond weight 1/order; 1e8 between fragments. */
function weightedDistances(mol: DescriptorMol): Float64Array {
  const n = mol.nAtoms;
  const d = new Float64Array(n * n).fill(DIST_INF);
  for (let i = 0; i < n; i++) d[i * n + i] = 0;
  mol.record.bonds.forEach((b, bi) => {
    const w = 1 / bondOrder(mol, bi);
    d[b.begin * n + b.end] = w;
    d[b.end * n + b.begin] = w;
  });
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      const dik = d[ri + k]!;
      if (dik >= DIST_INF) continue;
      for (let j = 0; j < n; j++) {
        const v = dik + d[rk + j]!;
        if (v < d[ri + j]!) d[ri + j] = v;
      }
    }
  }
  return d;
}

export function balabanJ(mol: DescriptorMol, bdMat: Float64Array): number {
  const n = mol.nAtoms;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += bdMat[j * n + i]!;
    s[i] = acc;
  }
  const q = mol.record.bonds.length;
  const mu = q - n + 1;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (const j of mol.nbrs[i]!) {
      if (j >= i) sum += 1 / Math.sqrt(s[i]! * s[j]!);
    }
  }
  return mu + 1 !== 0 ? (q / (mu + 1)) * sum : 0;
}

/** Shannon entropy in bits of a population vector (RDKit's InfoEntropy). */
export function infoEntropy(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  if (total === 0) return 0;
  let acc = 0;
  for (const v of values) {
    const p = v / total;
    if (p !== 0) acc += -p * Math.log(p);
  }
  return acc / Math.LN2;
}

export function bertzCT(mol: DescriptorMol, bdMat: Float64Array): number {
  const n = mol.nAtoms;
  if (n < 2) return 0;
  // Symmetry classes: atoms with equal sorted (bond-order weighted) distance rows, to 4 decimals.
  const keys = new Map<string, number>();
  const sym = new Int32Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = bdMat[i * n + j]!;
    row.sort();
    const key = Array.from(row.subarray(0, 100), (x) => x.toFixed(4)).join(',');
    let idx = keys.get(key);
    if (idx === undefined) {
      idx = keys.size + 1;
      keys.set(key, idx);
    }
    sym[i] = idx;
  }
  const order = (a: number, b: number): number => {
    for (const bi of mol.atomBonds[a]!) {
      const bd = mol.record.bonds[bi]!;
      if (bd.begin === b || bd.end === b) return bondOrder(mol, bi);
    }
    return 0;
  };
  const atomTypes = new Map<number, number>();
  const connections = new Map<string, number>();
  const add = (key: string, v: number): void => {
    connections.set(key, (connections.get(key) ?? 0) + v);
  };
  for (let a = 0; a < n; a++) {
    const z = mol.record.atoms[a]!.atomicNum;
    atomTypes.set(z, (atomTypes.get(z) ?? 0) + 1);
    const hinge = sym[a]!;
    const nl = Array.from(new Set(mol.nbrs[a]!)).sort((x, y) => x - y);
    for (let i = 0; i < nl.length; i++) {
      const ni = nl[i]!;
      const ci = sym[ni]!;
      const oi = order(a, ni);
      if (oi > 1 && ni > a) add(`${Math.min(hinge, ci)},${Math.max(hinge, ci)}`, (oi * (oi - 1)) / 2);
      for (let j = i + 1; j < nl.length; j++) {
        const nj = nl[j]!;
        const cj = sym[nj]!;
        add(`${Math.min(ci, cj)},${hinge},${Math.max(ci, cj)}`, oi * order(a, nj));
      }
    }
  }
  if (connections.size === 0) connections.set('a', 1);
  const connList = [...connections.values()];
  let tot = 0;
  for (const v of connList) tot += v;
  const connectionIE = tot * (infoEntropy(connList) + Math.log(tot) / Math.LN2);
  const atomTypeIE = n * infoEntropy([...atomTypes.values()]);
  return atomTypeIE + connectionIE;
}

/** Information content of the characteristic polynomial's coefficients (Le Verrier-Faddeev-Frame). */
export function ipc(mol: DescriptorMol): number {
  const n = mol.nAtoms;
  // Adjacency from the topological distance matrix (== 1), i.e. the simple graph.
  const nb = mol.nbrs.map((x) => Array.from(new Set(x)));
  const res = new Float64Array(n + 1);
  res[0] = 1;
  let an = new Float64Array(n * n);
  let next = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (const j of nb[i]!) an[i * n + j] = 1;
  const bn = new Float64Array(n * n);
  for (let k = 1; k <= n; k++) {
    let tr = 0;
    for (let i = 0; i < n; i++) tr += an[i * n + i]!;
    const c = (1 / k) * tr;
    res[k] = c;
    if (k === n) break;
    // B = A_k - c I; A_{k+1} = A B, summing row i of B's rows over i's neighbours.
    bn.set(an);
    for (let i = 0; i < n; i++) bn[i * n + i] = bn[i * n + i]! - c;
    next.fill(0);
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (const m of nb[i]!) {
        const rm = m * n;
        for (let j = 0; j < n; j++) next[ri + j] = next[ri + j]! + bn[rm + j]!;
      }
    }
    [an, next] = [next, an];
  }
  const cPoly: number[] = [];
  for (let k = 0; k <= n; k++) cPoly.push(Math.abs(k === 0 ? res[k]! : -res[k]!));
  let sum = 0;
  for (const v of cPoly) sum += v;
  return sum * infoEntropy(cPoly);
}

export { weightedDistances };
