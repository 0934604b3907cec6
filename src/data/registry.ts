/**
 * The dataset registry: MoleculeNet benchmarks (DeepChem files; chemprop's toxcast/muv; GROVER's
 * qm7/qm8), GROVER's own fine-tuning CSVs, and unlabelled SMILES corpora for pretraining.
 *
 * `file` is the path inside a data mirror (`$MOLGROVE_DATA_DIR`) and inside the download cache;
 * `sha256` is of that stored file. When the canonical download is compressed differently
 * (`compression: 'gzip'`), its decompressed bytes are what `sha256` pins.
 */
import { unknownChoice } from '../errors.js';
import { TOXCAST_TASKS } from './toxcast-tasks.js';

export type TaskType = 'classification' | 'regression' | 'unlabelled';
/** The benchmark metric: ROC-AUC for classification, RMSE or MAE for regression. */
export type DatasetMetric = 'auc' | 'rmse' | 'mae';
export type DatasetGroup = 'moleculenet' | 'grover' | 'pretrain';

export interface DatasetSpec {
  /** Lowercase canonical name. */
  readonly name: string;
  /** Other lowercase names that resolve to this entry. */
  readonly aliases: readonly string[];
  readonly group: DatasetGroup;
  /** Path relative to a data mirror / the cache, e.g. `moleculenet/BBBP.csv`. */
  readonly file: string;
  /** Canonical download. */
  readonly url: string;
  /** sha256 (hex) of `file` as stored. */
  readonly sha256: string;
  /** Set when the download is compressed and `file` is not: decompress, then check `sha256`. */
  readonly compression?: 'gzip';
  readonly smilesColumn: string;
  /** Every target column, exact header names, in file order. Empty for unlabelled corpora. */
  readonly taskColumns: readonly string[];
  readonly taskType: TaskType;
  /** null for unlabelled corpora. */
  readonly metric: DatasetMetric | null;
  /** Data rows (header and blank lines excluded). */
  readonly rows: number;
  readonly description: string;
  /**
   * Rows the RDKit of the papers (2022.09 and before) rejects but today's RDKit parses (e.g.
   * ClinTox's cobalamins, with dative N→Co bonds). Splits leave them out so indices match the papers.
   */
  readonly referenceRejects?: readonly number[];
}

const DEEPCHEM = 'https://deepchemdata.s3-us-west-1.amazonaws.com/datasets';
const CHEMPROP =
  'https://raw.githubusercontent.com/chemprop/chemprop/f814b63ee66d574d9357366bf6c08c11a1b24478';
const GROVER =
  'https://raw.githubusercontent.com/tencent-ailab/grover/40b6d97098e4508687912f3c05eca369fc2c6213';
const JTVAE =
  'https://raw.githubusercontent.com/vjspranav/temp_jt_vae/454d0cb38f23aa9f68b70e0795d44586c398879c';
const MOSES =
  'https://raw.githubusercontent.com/molecularsets/moses/8a019822a314b224b80468b9b91488a229f01927';
const GUACAMOL =
  'https://raw.githubusercontent.com/Masatsugar/graph-decomposition-reassembling/301fd9aca3342ee449199d7666175a076ca29210';

const TOX21_TASKS = [
  'NR-AR',
  'NR-AR-LBD',
  'NR-AhR',
  'NR-Aromatase',
  'NR-ER',
  'NR-ER-LBD',
  'NR-PPAR-gamma',
  'SR-ARE',
  'SR-ATAD5',
  'SR-HSE',
  'SR-MMP',
  'SR-p53',
] as const;

const SIDER_TASKS = [
  'Hepatobiliary disorders',
  'Metabolism and nutrition disorders',
  'Product issues',
  'Eye disorders',
  'Investigations',
  'Musculoskeletal and connective tissue disorders',
  'Gastrointestinal disorders',
  'Social circumstances',
  'Immune system disorders',
  'Reproductive system and breast disorders',
  'Neoplasms benign, malignant and unspecified (incl cysts and polyps)',
  'General disorders and administration site conditions',
  'Endocrine disorders',
  'Surgical and medical procedures',
  'Vascular disorders',
  'Blood and lymphatic system disorders',
  'Skin and subcutaneous tissue disorders',
  'Congenital, familial and genetic disorders',
  'Infections and infestations',
  'Respiratory, thoracic and mediastinal disorders',
  'Psychiatric disorders',
  'Renal and urinary disorders',
  'Pregnancy, puerperium and perinatal conditions',
  'Ear and labyrinth disorders',
  'Cardiac disorders',
  'Nervous system disorders',
  'Injury, poisoning and procedural complications',
] as const;

const MUV_TASKS = [
  'MUV-466',
  'MUV-548',
  'MUV-600',
  'MUV-644',
  'MUV-652',
  'MUV-689',
  'MUV-692',
  'MUV-712',
  'MUV-713',
  'MUV-733',
  'MUV-737',
  'MUV-810',
  'MUV-832',
  'MUV-846',
  'MUV-852',
  'MUV-858',
  'MUV-859',
] as const;

const QM8_TASKS = [
  'E1-CC2',
  'E2-CC2',
  'f1-CC2',
  'f2-CC2',
  'E1-PBE0',
  'E2-PBE0',
  'f1-PBE0',
  'f2-PBE0',
  'E1-CAM',
  'E2-CAM',
  'f1-CAM',
  'f2-CAM',
] as const;

type Entry = Omit<DatasetSpec, 'aliases' | 'metric'> & {
  aliases?: readonly string[];
  metric?: DatasetMetric | null;
};

function entry(e: Entry): DatasetSpec {
  const metric = e.metric !== undefined ? e.metric : e.taskType === 'classification' ? 'auc' : null;
  return Object.freeze({ ...e, aliases: Object.freeze([...(e.aliases ?? [])]), metric });
}

function unlabelled(
  name: string,
  file: string,
  url: string,
  sha256: string,
  rows: number,
  smilesColumn: string,
  description: string,
): DatasetSpec {
  return entry({
    name,
    group: 'pretrain',
    file,
    url,
    sha256,
    smilesColumn,
    taskColumns: [],
    taskType: 'unlabelled',
    metric: null,
    rows,
    description,
  });
}

const ENTRIES: readonly DatasetSpec[] = [
  // MoleculeNet (DeepChem distribution unless noted)
  entry({
    name: 'bbbp',
    group: 'moleculenet',
    file: 'moleculenet/BBBP.csv',
    url: `${DEEPCHEM}/BBBP.csv`,
    sha256: 'd07a38487aeac5cee5508413e468043ef3097451d2a112701c2d60be9ec6b662',
    smilesColumn: 'smiles',
    taskColumns: ['p_np'],
    taskType: 'classification',
    rows: 2050,
    description: 'Blood-brain barrier penetration (binary), MoleculeNet/DeepChem; 11 SMILES do not parse.',
  }),
  entry({
    name: 'tox21',
    group: 'moleculenet',
    file: 'moleculenet/tox21.csv',
    url: `${DEEPCHEM}/tox21.csv.gz`,
    compression: 'gzip',
    sha256: '7d7e7facd853a63e79ddce4e9c3fcb7a0d83a1c300b603031c0f2c64fbe77761',
    smilesColumn: 'smiles',
    taskColumns: TOX21_TASKS,
    taskType: 'classification',
    rows: 7831,
    description: 'Tox21 challenge: 12 nuclear-receptor and stress-response assays, sparse labels.',
  }),
  entry({
    name: 'toxcast',
    aliases: ['grover-toxcast'],
    group: 'moleculenet',
    file: 'moleculenet/toxcast.csv.gz',
    url: `${CHEMPROP}/data/toxcast.csv.gz`,
    sha256: '4b9b4366b02ce7ec7a0831d60f8c46f153c53c5e122376df887476240496abd4',
    smilesColumn: 'smiles',
    taskColumns: TOXCAST_TASKS,
    taskType: 'classification',
    rows: 8576,
    description: 'ToxCast: 617 in-vitro assays (chemprop/GROVER cleaned version), very sparse labels.',
  }),
  entry({
    name: 'sider',
    group: 'moleculenet',
    file: 'moleculenet/sider.csv',
    url: `${DEEPCHEM}/sider.csv.gz`,
    compression: 'gzip',
    sha256: '71efc6ac4ca82d6545bc512509863281be0f17234afd7adaf71a71899988302e',
    smilesColumn: 'smiles',
    taskColumns: SIDER_TASKS,
    taskType: 'classification',
    rows: 1427,
    description: 'SIDER: marketed drugs and 27 adverse-reaction system organ classes.',
  }),
  entry({
    name: 'clintox',
    group: 'moleculenet',
    file: 'moleculenet/clintox.csv',
    url: `${DEEPCHEM}/clintox.csv.gz`,
    compression: 'gzip',
    sha256: '9999816e760dd838358b5d88e81cea2fc062be4458ffa412ceecdba4f88a67b6',
    smilesColumn: 'smiles',
    taskColumns: ['FDA_APPROVED', 'CT_TOX'],
    taskType: 'classification',
    rows: 1484,
    description: 'ClinTox: FDA approval and clinical-trial toxicity; 6 SMILES do not parse.',
    referenceRejects: [983, 984],
  }),
  entry({
    name: 'bace',
    group: 'moleculenet',
    file: 'moleculenet/bace.csv',
    url: `${DEEPCHEM}/bace.csv`,
    sha256: 'f3fb9ce90bada3e2bd6148b0df13f8f8145a357bf87df0dd5b391ede974fc737',
    smilesColumn: 'mol',
    taskColumns: ['Class'],
    taskType: 'classification',
    rows: 1513,
    description: 'BACE-1 inhibitors, binary Class (pIC50 column also present for regression).',
  }),
  entry({
    name: 'hiv',
    group: 'moleculenet',
    file: 'moleculenet/HIV.csv',
    url: `${DEEPCHEM}/HIV.csv`,
    sha256: '9ffa7fe57dc86c342627ee1d5255e937e2ab812393c73c4d16c697022f6e1d22',
    smilesColumn: 'smiles',
    taskColumns: ['HIV_active'],
    taskType: 'classification',
    rows: 41127,
    description: 'DTP AIDS antiviral screen: inhibits HIV replication (CM/CA vs CI), binary.',
  }),
  entry({
    name: 'muv',
    group: 'moleculenet',
    file: 'moleculenet/muv.csv.gz',
    url: `${CHEMPROP}/data/muv.csv.gz`,
    sha256: 'ee68d1fad0b10440dc494ac3a74cf99168a0b0da9683556b2b48220b88172135',
    smilesColumn: 'smiles',
    taskColumns: MUV_TASKS,
    taskType: 'classification',
    rows: 93087,
    description: 'Maximum Unbiased Validation: 17 PubChem targets, very few actives (chemprop version).',
  }),
  entry({
    name: 'esol',
    aliases: ['delaney'],
    group: 'moleculenet',
    file: 'moleculenet/delaney-processed.csv',
    url: `${DEEPCHEM}/delaney-processed.csv`,
    sha256: '8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189',
    smilesColumn: 'smiles',
    taskColumns: ['measured log solubility in mols per litre'],
    taskType: 'regression',
    metric: 'rmse',
    rows: 1128,
    description: 'ESOL (Delaney): measured aqueous log solubility, mol/L.',
  }),
  entry({
    name: 'freesolv',
    aliases: ['sampl'],
    group: 'moleculenet',
    file: 'moleculenet/SAMPL.csv',
    url: `${DEEPCHEM}/SAMPL.csv`,
    sha256: 'ab5895d914ee87cb563bd7b9611e869527bba45bec6b014d34dc495a0f9dcb72',
    smilesColumn: 'smiles',
    taskColumns: ['expt'],
    taskType: 'regression',
    metric: 'rmse',
    rows: 642,
    description: 'FreeSolv: experimental hydration free energy in water, kcal/mol.',
  }),
  entry({
    name: 'lipophilicity',
    aliases: ['lipo'],
    group: 'moleculenet',
    file: 'moleculenet/Lipophilicity.csv',
    url: `${DEEPCHEM}/Lipophilicity.csv`,
    sha256: 'aed41590cb30609d51d8e08ad3ff06495a76e80e211358801f596b10da69bacd',
    smilesColumn: 'smiles',
    taskColumns: ['exp'],
    taskType: 'regression',
    metric: 'rmse',
    rows: 4200,
    description: 'Lipophilicity: octanol/water distribution coefficient logD at pH 7.4 (ChEMBL).',
  }),
  entry({
    name: 'qm7',
    aliases: ['grover-qm7'],
    group: 'moleculenet',
    file: 'moleculenet/qm7.csv',
    url: `${GROVER}/exampledata/finetune/qm7.csv`,
    sha256: 'eb793e3172c4a74cfb74ef805e6cdea79d1db16fd1f40a42f459297ad6457548',
    smilesColumn: 'smiles',
    taskColumns: ['u0_atom'],
    taskType: 'regression',
    metric: 'mae',
    rows: 6830,
    description: 'QM7: DFT atomization energy, kcal/mol (GROVER/chemprop CSV with explicit hydrogens).',
  }),
  entry({
    name: 'qm8',
    aliases: ['grover-qm8'],
    group: 'moleculenet',
    file: 'moleculenet/qm8.csv',
    url: `${GROVER}/exampledata/finetune/qm8.csv`,
    sha256: '964558dcd6982d82871fd11f3cb24adb8de052bfe59d0a30ad6a7645d7e7665d',
    smilesColumn: 'smiles',
    taskColumns: QM8_TASKS,
    taskType: 'regression',
    metric: 'mae',
    rows: 21786,
    description: 'QM8: 12 electronic excitation energies/oscillator strengths (CC2, PBE0, CAM).',
  }),

  // GROVER's fine-tuning files (smiles first, unparsable SMILES removed)
  entry({
    name: 'grover-bbbp',
    group: 'grover',
    file: 'moleculenet/grover/bbbp.csv',
    url: `${GROVER}/exampledata/finetune/bbbp.csv`,
    sha256: 'a61e17872cbec0743a6147dc802a1f7550acfe8dc1053f881f4c42a3ce2dc597',
    smilesColumn: 'smiles',
    taskColumns: ['p_np'],
    taskType: 'classification',
    rows: 2039,
    description: "GROVER's BBBP: blood-brain barrier penetration, unparsable SMILES removed.",
  }),
  entry({
    name: 'grover-bace',
    group: 'grover',
    file: 'moleculenet/grover/bace.csv',
    url: `${GROVER}/exampledata/finetune/bace.csv`,
    sha256: '847be1e38d3798c60df03e1aaf2ccd0f09f9ed89407de78e80463aa637088532',
    smilesColumn: 'mol',
    taskColumns: ['Class'],
    taskType: 'classification',
    rows: 1513,
    description: "GROVER's BACE: BACE-1 inhibition, binary.",
  }),
  entry({
    name: 'grover-clintox',
    group: 'grover',
    file: 'moleculenet/grover/clintox.csv',
    url: `${GROVER}/exampledata/finetune/clintox.csv`,
    sha256: 'cc561402d058a0d996a9f5e5d02bc20f6652b7003525b32c3598b8da4b24e9b7',
    smilesColumn: 'smiles',
    taskColumns: ['FDA_APPROVED', 'CT_TOX'],
    taskType: 'classification',
    rows: 1478,
    description: "GROVER's ClinTox: FDA approval and clinical-trial toxicity, unparsable SMILES removed.",
  }),
  entry({
    name: 'grover-esol',
    group: 'grover',
    file: 'moleculenet/grover/esol.csv',
    url: `${GROVER}/exampledata/finetune/esol.csv`,
    sha256: '9e2bf77f3fc2d0ced4572341e2094904b992c9edf3762795f77cfc2bfd4de5ac',
    smilesColumn: 'smiles',
    taskColumns: ['logSolubility'],
    taskType: 'regression',
    metric: 'rmse',
    rows: 1128,
    description: "GROVER's ESOL: aqueous log solubility.",
  }),
  entry({
    name: 'grover-freesolv',
    group: 'grover',
    file: 'moleculenet/grover/freesolv.csv',
    url: `${GROVER}/exampledata/finetune/freesolv.csv`,
    sha256: '97d74c86228d4c16c0fbbf063bb8280354d8152db09a85ade8517a2f43bd9824',
    smilesColumn: 'smiles',
    taskColumns: ['freesolv'],
    taskType: 'regression',
    metric: 'rmse',
    rows: 642,
    description: "GROVER's FreeSolv: hydration free energy.",
  }),
  entry({
    name: 'grover-lipo',
    aliases: ['grover-lipophilicity'],
    group: 'grover',
    file: 'moleculenet/grover/lipo.csv',
    url: `${GROVER}/exampledata/finetune/lipo.csv`,
    sha256: 'aa9bd9669188e35efd908758a75561bba402016d901fed2d0d949289abbcf31c',
    smilesColumn: 'smiles',
    taskColumns: ['lipo'],
    taskType: 'regression',
    metric: 'rmse',
    rows: 4200,
    description: "GROVER's Lipophilicity: logD at pH 7.4.",
  }),
  entry({
    name: 'grover-sider',
    group: 'grover',
    file: 'moleculenet/grover/sider.csv',
    url: `${GROVER}/exampledata/finetune/sider.csv`,
    sha256: '71efc6ac4ca82d6545bc512509863281be0f17234afd7adaf71a71899988302e',
    smilesColumn: 'smiles',
    taskColumns: SIDER_TASKS,
    taskType: 'classification',
    rows: 1427,
    description: "GROVER's SIDER: 27 adverse-reaction classes (same bytes as sider).",
  }),
  entry({
    name: 'grover-tox21',
    group: 'grover',
    file: 'moleculenet/grover/tox21.csv',
    url: `${GROVER}/exampledata/finetune/tox21.csv`,
    sha256: 'b58cc1f683e78e3c7a1bf7116e9aac0119804018d100f7b8cdb0857941c31aca',
    smilesColumn: 'smiles',
    taskColumns: TOX21_TASKS,
    taskType: 'classification',
    rows: 7831,
    description: "GROVER's Tox21: 12 assays, smiles first, no mol_id.",
  }),

  // Unlabelled SMILES corpora for pretraining
  unlabelled(
    'chembl24-guacamol-valid',
    'pretrain/chembl24_guacamol_v1_valid.smi',
    `${GUACAMOL}/data/guacamol/validation.smi`,
    '124c4e76062bebf3a9bba9812e76fea958a108f25e114a98ddf49c394c4773bf',
    79568,
    'smiles',
    'GuacaMol v1 validation set: ChEMBL 24 SMILES, one per line.',
  ),
  unlabelled(
    'zinc250k-jtvae-valid',
    'pretrain/zinc250k_jtvae_valid.txt',
    `${JTVAE}/model/data/zinc/valid.txt`,
    '9007d27b68426b9b826946895fdaacca6094e4e1e1f4bc014ed476e6dac39f19',
    24445,
    'smiles',
    'ZINC250k, JT-VAE validation split: one SMILES per line.',
  ),
  unlabelled(
    'zinc250k-jtvae-test',
    'pretrain/zinc250k_jtvae_test.txt',
    `${JTVAE}/model/data/zinc/test.txt`,
    '9da34c7d12972fbd95fa4fef5a60084a852fff8e0bc075f9486b9c82901bbb45',
    5000,
    'smiles',
    'ZINC250k, JT-VAE test split: one SMILES per line.',
  ),
  unlabelled(
    'moses-zinc-train10k',
    'pretrain/moses_zinc_train10k.csv',
    `${MOSES}/data/zinc/train10k.csv`,
    'af86f91f45a24918cd34338c0823030988ae4fee1b0834894f219dffe9bec8a6',
    9999,
    'SMILES',
    'MOSES (ZINC Clean Leads): 10k sample of the training set.',
  ),
  unlabelled(
    'moses-zinc-test',
    'pretrain/moses_zinc_test.csv',
    `${MOSES}/data/zinc/test.csv`,
    '89e6a0bcee180392f704dc3ee71e88e3ced9cf7b6fc957dc76b234dfac4a4f3e',
    10000,
    'SMILES',
    'MOSES (ZINC Clean Leads): 10k test sample.',
  ),
  unlabelled(
    'moses-zinc-test-scaffolds',
    'pretrain/moses_zinc_test_scaffolds.csv',
    `${MOSES}/data/zinc/test_scaffolds.csv`,
    '516cec1e5fe0f62c7cb40d7a22857cbeea24ce0108a8fd2ad35237ff904f44e4',
    10000,
    'SMILES',
    'MOSES (ZINC Clean Leads): 10k scaffold-split test sample.',
  ),
  unlabelled(
    'grover-tryout',
    'pretrain/grover_tryout.csv',
    `${GROVER}/exampledata/pretrain/tryout.csv`,
    'f65e60451163157d87fd2e5c36a5b41c27c2db196b07efaa573cd3cdcab5f626',
    5970,
    'smiles',
    "GROVER's example pretraining set (tryout.csv).",
  ),
];

const BY_NAME: ReadonlyMap<string, DatasetSpec> = (() => {
  const map = new Map<string, DatasetSpec>();
  for (const spec of ENTRIES) {
    for (const key of [spec.name, ...spec.aliases]) {
      if (map.has(key)) throw new Error(`duplicate dataset name or alias '${key}'`);
      map.set(key, spec);
    }
  }
  return map;
})();

/** Every registry entry, in listing order (MoleculeNet, GROVER, pretraining corpora). */
export function listDatasets(): readonly DatasetSpec[] {
  return ENTRIES;
}

/** Every name and alias `getDatasetSpec` accepts. */
export function datasetNames(): string[] {
  return [...BY_NAME.keys()];
}

/** The entry for a name or alias, case-insensitive; unknown → ConfigError listing the choices. */
export function getDatasetSpec(name: string): DatasetSpec {
  const spec = BY_NAME.get(name.trim().toLowerCase());
  if (!spec) throw unknownChoice('dataset', name, datasetNames());
  return spec;
}

/** True when `name` is a registry name or alias. */
export function isRegisteredDataset(name: string): boolean {
  return BY_NAME.has(name.trim().toLowerCase());
}
