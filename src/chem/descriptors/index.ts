/**
 * The 200 raw RDKit 2D descriptors of descriptastorus's RDKit2D generator (chemprop's "rdkit_2d"
 * features before CDF normalization): one value per RDKit 2022.09 `Descriptors._descList` entry
 * that descriptastorus's normalization table (descriptors/dists.py) knows, i.e. the whole list
 * except the eight BCUT2D_* entries, in Python's sorted() order (byte order: upper case first, so
 * fr_* and qed come last).
 *
 * Everything is computed here from RDKit.js's parsed molecule (graph, aromaticity, hydrogens,
 * rings) and SMARTS matches, following RDKit 2022.09's definitions (RDKit.js's own
 * get_descriptors() is a newer RDKit whose NumHBA, for one, has changed since).
 * test/descriptors.test.ts compares all 200 values with Python RDKit 2022.09.3 on 810 molecules
 * (tolerance 1e-6); the differences it documents are all of one of three kinds:
 * - Ipc on molecules of more than ~75 atoms, where RDKit's floating-point characteristic
 *   polynomial has lost its precision (agreement is only in order of magnitude there);
 * - RDKit.js parsing a molecule differently from RDKit 2022.09: no radical electrons on some metal
 *   atoms (NumRadicalElectrons), a larger symmetrized ring set for macrocycles with equivalent routes
 *   (RingCount and the ring-type counts), hypervalent atoms it rejects (e.g. [AlH3](O)O, which then
 *   throws InvalidSmilesError like any unparsable SMILES, via withMol).
 *
 * No descriptor raises for a parsed molecule (where RDKit itself raises, descriptastorus stores
 * 0.0; none of the fixture molecules does). Atoms without Gasteiger parameters (Se, metals...) get
 * NaN or infinite charges exactly as in RDKit, and those propagate into the four partial-charge
 * descriptors and PEOE_VSA as RDKit's do; normalization has to cope with them.
 */
import { FRAGMENT_NAMES, fragmentCounts } from '../fragments.js';
import { type MolView, withMol } from '../rdkit.js';
import { buildContext } from './context.js';
import { heavyAtomCount, molWeights, ringCounts, simpleCounts } from './counts.js';
import { crippenContribs } from './crippen.js';
import { gasteigerCharges, partialChargeDescriptors } from './gasteiger.js';
import {
  balabanJ,
  bertzCT,
  chiIndices,
  findPaths,
  hallKierAlpha,
  ipc,
  kappas,
  weightedDistances,
} from './graph.js';
import { morganIdCounts } from './morgan-density.js';
import { qed } from './qed.js';
import {
  binned,
  ESTATE_VSA_BINS,
  estateIndices,
  labuteContribs,
  PEOE_BINS,
  SLOGP_BINS,
  SMR_BINS,
  tpsa,
  VSA_ESTATE_BINS,
} from './surface.js';

const range = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The 200 descriptor names in output order (Python's sorted()). */
export const RDKIT2D_NAMES: readonly string[] = [
  ...'BalabanJ BertzCT Chi0 Chi0n Chi0v Chi1 Chi1n Chi1v Chi2n Chi2v Chi3n Chi3v Chi4n Chi4v'.split(' '),
  ...range('EState_VSA', 11),
  ...'ExactMolWt FpDensityMorgan1 FpDensityMorgan2 FpDensityMorgan3 FractionCSP3 HallKierAlpha'.split(' '),
  ...'HeavyAtomCount HeavyAtomMolWt Ipc Kappa1 Kappa2 Kappa3 LabuteASA MaxAbsEStateIndex'.split(' '),
  ...'MaxAbsPartialCharge MaxEStateIndex MaxPartialCharge MinAbsEStateIndex MinAbsPartialCharge'.split(' '),
  ...'MinEStateIndex MinPartialCharge MolLogP MolMR MolWt NHOHCount NOCount NumAliphaticCarbocycles'.split(
    ' ',
  ),
  ...'NumAliphaticHeterocycles NumAliphaticRings NumAromaticCarbocycles NumAromaticHeterocycles'.split(' '),
  ...'NumAromaticRings NumHAcceptors NumHDonors NumHeteroatoms NumRadicalElectrons'.split(' '),
  ...'NumRotatableBonds NumSaturatedCarbocycles NumSaturatedHeterocycles NumSaturatedRings'.split(' '),
  ...'NumValenceElectrons RingCount TPSA'.split(' '),
  ...range('PEOE_VSA', 14),
  ...range('SMR_VSA', 10),
  ...range('SlogP_VSA', 12),
  ...range('VSA_EState', 10),
  ...FRAGMENT_NAMES,
  'qed',
].sort(byteOrder);

const INDEX = new Map(RDKIT2D_NAMES.map((n, i) => [n, i]));

/** Python's max()/min() over a sequence: a NaN first element sticks, later NaNs are skipped. */
function pyExtreme(values: ArrayLike<number>, pick: (candidate: number, current: number) => boolean): number {
  if (values.length === 0) return 0;
  let cur = values[0]!;
  for (let i = 1; i < values.length; i++) if (pick(values[i]!, cur)) cur = values[i]!;
  return cur;
}

/** The 200 raw values for a parsed molecule, in RDKIT2D_NAMES order. */
export function rdkit2dDescriptors(view: MolView): Float64Array {
  const mol = buildContext(view);
  const out = new Float64Array(RDKIT2D_NAMES.length);
  const set = (name: string, v: number): void => {
    const i = INDEX.get(name);
    if (i === undefined) throw new Error(`unknown descriptor ${name}`);
    out[i] = v;
  };
  const setBins = (prefix: string, v: Float64Array): void => {
    v.forEach((x, i) => {
      set(`${prefix}${i + 1}`, x);
    });
  };

  const weights = molWeights(mol);
  set('MolWt', weights.molWt);
  set('HeavyAtomMolWt', weights.heavyMolWt);
  set('ExactMolWt', weights.exactMolWt);
  const heavy = heavyAtomCount(mol);
  set('HeavyAtomCount', heavy);

  const c = simpleCounts(mol);
  set('NumValenceElectrons', c.numValenceElectrons);
  set('NumRadicalElectrons', c.numRadicalElectrons);
  set('NumHeteroatoms', c.numHeteroatoms);
  set('NHOHCount', c.nhohCount);
  set('NOCount', c.noCount);
  set('FractionCSP3', c.fractionCSP3);
  set('NumHDonors', c.numHDonors);
  set('NumHAcceptors', c.numHAcceptors);
  set('NumRotatableBonds', c.numRotatableBonds);

  const r = ringCounts(mol);
  set('RingCount', r.ringCount);
  set('NumAromaticRings', r.aromaticRings);
  set('NumAromaticHeterocycles', r.aromaticHeterocycles);
  set('NumAromaticCarbocycles', r.aromaticCarbocycles);
  set('NumAliphaticRings', r.aliphaticRings);
  set('NumAliphaticHeterocycles', r.aliphaticHeterocycles);
  set('NumAliphaticCarbocycles', r.aliphaticCarbocycles);
  set('NumSaturatedRings', r.saturatedRings);
  set('NumSaturatedHeterocycles', r.saturatedHeterocycles);
  set('NumSaturatedCarbocycles', r.saturatedCarbocycles);

  // Surface areas and the binned VSA families.
  const labute = labuteContribs(mol);
  set('LabuteASA', labute.total);
  const polar = tpsa(mol);
  set('TPSA', polar);
  const crippen = crippenContribs(mol);
  set('MolLogP', crippen.molLogP);
  set('MolMR', crippen.molMR);
  setBins('SlogP_VSA', binned(SLOGP_BINS, crippen.logp, labute.atoms));
  setBins('SMR_VSA', binned(SMR_BINS, crippen.mr, labute.atoms));

  const charges = gasteigerCharges(mol);
  setBins('PEOE_VSA', binned(PEOE_BINS, charges, labute.atoms));
  const [maxChg, minChg, maxAbsChg, minAbsChg] = partialChargeDescriptors(charges);
  set('MaxPartialCharge', maxChg);
  set('MinPartialCharge', minChg);
  set('MaxAbsPartialCharge', maxAbsChg);
  set('MinAbsPartialCharge', minAbsChg);

  const estate = estateIndices(mol);
  const absEstate = estate.map(Math.abs);
  set(
    'MaxEStateIndex',
    pyExtreme(estate, (a, b) => a > b),
  );
  set(
    'MinEStateIndex',
    pyExtreme(estate, (a, b) => a < b),
  );
  set(
    'MaxAbsEStateIndex',
    pyExtreme(absEstate, (a, b) => a > b),
  );
  set(
    'MinAbsEStateIndex',
    pyExtreme(absEstate, (a, b) => a < b),
  );
  setBins('EState_VSA', binned(ESTATE_VSA_BINS, estate, labute.atoms));
  setBins('VSA_EState', binned(VSA_ESTATE_BINS, labute.atoms, estate));

  // Topology.
  const paths = findPaths(mol, 4);
  const chi = chiIndices(mol, paths);
  set('Chi0', chi.chi0);
  set('Chi1', chi.chi1);
  set('Chi0n', chi.chi0n);
  set('Chi1n', chi.chi1n);
  set('Chi2n', chi.chi2n);
  set('Chi3n', chi.chi3n);
  set('Chi4n', chi.chi4n);
  set('Chi0v', chi.chi0v);
  set('Chi1v', chi.chi1v);
  set('Chi2v', chi.chi2v);
  set('Chi3v', chi.chi3v);
  set('Chi4v', chi.chi4v);
  const alpha = hallKierAlpha(mol);
  set('HallKierAlpha', alpha);
  const [k1, k2, k3] = kappas(heavy, mol.record.bonds.length, paths, alpha);
  set('Kappa1', k1);
  set('Kappa2', k2);
  set('Kappa3', k3);
  const bdMat = weightedDistances(mol);
  set('BalabanJ', balabanJ(mol, bdMat));
  set('BertzCT', bertzCT(mol, bdMat));
  set('Ipc', ipc(mol));

  const [m1, m2, m3] = morganIdCounts(mol);
  set('FpDensityMorgan1', heavy ? m1 / heavy : 0);
  set('FpDensityMorgan2', heavy ? m2 / heavy : 0);
  set('FpDensityMorgan3', heavy ? m3 / heavy : 0);

  const fr = fragmentCounts(view);
  FRAGMENT_NAMES.forEach((name, i) => {
    set(name, fr[i]!);
  });

  set(
    'qed',
    qed(mol, {
      molWt: weights.molWt,
      molLogP: crippen.molLogP,
      numHDonors: c.numHDonors,
      tpsa: polar,
      numRotatableBonds: c.numRotatableBonds,
    }),
  );
  return out;
}

/** rdkit2dDescriptors of a SMILES string (throws InvalidSmilesError, with `where`, when unparsable). */
export function rdkit2dOfSmiles(smiles: string, where?: { row?: number; source?: string }): Float64Array {
  return withMol(smiles, rdkit2dDescriptors, where);
}
