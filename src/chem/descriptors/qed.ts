/**
 * QED, the quantitative estimate of drug-likeness (Bickerton et al., Nat. Chem. 4, 90 (2012)), as
 * rdkit.Chem.QED.qed with its default mean weights.
 */
import { Smarts } from '../rdkit.js';
import type { DescriptorMol } from './context.js';
import { QED_ACCEPTORS, QED_ADS, QED_ALERTS, QED_WEIGHTS } from './data.js';

const ACCEPTORS = QED_ACCEPTORS.map((s) => new Smarts(s));
const ALERTS = QED_ALERTS.map((s) => new Smarts(s));
const ALIPHATIC_RING_ATOM = new Smarts('[$([A;R][!a])]');

export interface QedInputs {
  molWt: number;
  molLogP: number;
  numHDonors: number;
  tpsa: number;
  numRotatableBonds: number;
}

/**
 * Aromatic ring count as QED defines it: the SSSR size of the molecule once every aliphatic ring
 * atom with a non-aromatic neighbour is deleted, i.e. the cycle rank (bonds - atoms + fragments)
 * of what is left.
 */
function aromaticRingCount(mol: DescriptorMol): number {
  const deleted = new Uint8Array(mol.nAtoms);
  for (const m of mol.view.matches(ALIPHATIC_RING_ATOM)) deleted[m[0]!] = 1;
  const parent = Int32Array.from({ length: mol.nAtoms }, (_, i) => i);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    return r;
  };
  let atoms = 0;
  let bonds = 0;
  let components = 0;
  for (let i = 0; i < mol.nAtoms; i++) if (!deleted[i]) atoms++;
  components = atoms;
  for (const b of mol.record.bonds) {
    if (deleted[b.begin] || deleted[b.end]) continue;
    bonds++;
    const x = find(b.begin);
    const y = find(b.end);
    if (x !== y) {
      parent[x] = y;
      components--;
    }
  }
  return bonds - atoms + components;
}

function ads(x: number, p: readonly number[]): number {
  const [A, B, C, D, E, F, DMAX] = p as [number, number, number, number, number, number, number];
  const exp1 = 1 + Math.exp((-1 * (x - C + D / 2)) / E);
  const exp2 = 1 + Math.exp((-1 * (x - C - D / 2)) / F);
  const dx = A + (B / exp1) * (1 - 1 / exp2);
  return dx / DMAX;
}

export function qed(mol: DescriptorMol, inputs: QedInputs): number {
  let hba = 0;
  for (const q of ACCEPTORS) hba += mol.view.matches(q).length;
  let alerts = 0;
  for (const q of ALERTS) if (mol.view.matches(q).length > 0) alerts++;
  const props = [
    inputs.molWt,
    inputs.molLogP,
    hba,
    inputs.numHDonors,
    inputs.tpsa,
    inputs.numRotatableBonds,
    aromaticRingCount(mol),
    alerts,
  ];
  let t = 0;
  let wsum = 0;
  props.forEach((x, i) => {
    const w = QED_WEIGHTS[i]!;
    t += w * Math.log(ads(x, QED_ADS[i]!));
    wsum += w;
  });
  return Math.exp(t / wsum);
}
