/**
 * Supervised multi-task pretraining (Hu et al. 2020, "Strategies for Pre-training Graph Neural
 * Networks", graph-level supervised pretraining; snap-stanford/pretrain-gnns
 * `chem/pretrain_supervised.py`, read to learn the rules, nothing copied), on any encoder and any
 * labelled table: binary classification of every task at once.
 *
 * Facts taken from the reference:
 * - the model is GNN_graphpred: the encoder, a mean readout (graph_pooling "mean") and one linear
 *   layer `graph_pred_linear` (emb_dim → tasks) giving one logit per task; only the encoder is
 *   saved afterwards (as here: the head stays in the checkpoint);
 * - labels are coded 1 / −1 with 0 for missing (its ChEMBL loader); the loss is
 *   BCEWithLogits(logit, (y + 1) / 2) with missing entries zeroed, summed over the batch's
 *   molecules × tasks and divided by the number of present labels: a mean over present labels
 *   (T.bceWithLogits with NaN targets computes exactly that; a batch with none gives 0);
 * - the papers use ChEMBL (456k molecules × 1,310 tasks, not in the shared data); its settings are
 *   batch 32, dropout 0.2, Adam 1e-3, 100 epochs.
 *
 * Here the labels come from the pretraining input itself (`ObjectiveContext.input`, one CSV/TSV
 * file, gzipped or not), read once when the objective is created: the task columns are `tasks`
 * (comma-separated, CSV quoting for names holding commas; default every column except the SMILES
 * column, chosen as the shards choose it by default: csv.ts defaultSmilesColumn; with another
 * --smiles-column, name the tasks) and each cell is 1 (positive),
 * 0 or −1 (negative) or missing (empty, NaN, NA, null, none, as dataset.ts reads CSVs). A file
 * holding both 0 and −1 is refused: under Hu's coding 0 means missing, so the two readings
 * disagree. Labels are stored as one byte per cell (rows × tasks) and looked up by the batch's
 * source rows. Logged terms: total, and present (the share of the batch's labels present).
 */

import { statSync } from 'node:fs';
import type { GraphBatch } from '../../data/batch.js';
import { defaultSmilesColumn, findColumn, parseColumnList, readCsvSync } from '../../data/csv.js';
import { ConfigError, MolgroveError } from '../../errors.js';
import { Linear } from '../../models/layers.js';
import { Module } from '../../models/module.js';
import { readout } from '../../models/readout.js';
import * as T from '../../tensor/index.js';
import type { Objective, ObjectiveFactory, ObjectiveLoss, PretrainBatch } from '../objective.js';

/** The code of a missing label in LabelTable.labels. */
export const MISSING_LABEL = -1;

/** A binary label table: rows × tasks, 1, 0 or MISSING_LABEL, row i = the file's 0-based data row i. */
export interface LabelTable {
  readonly source: string;
  readonly tasks: readonly string[];
  readonly rows: number;
  readonly labels: Int8Array;
}

// As dataset.ts (loadCsvDataset) reads a missing label.
const MISSING_TEXT = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);

function taskColumns(header: readonly string[], tasks: readonly string[] | null, path: string): number[] {
  const smiles = findColumn(header, defaultSmilesColumn(header));
  if (tasks === null) {
    const all = header.map((_, i) => i).filter((i) => i !== smiles);
    if (all.length === 0)
      throw new ConfigError(`supervised: ${path} has no task columns besides its SMILES column`);
    return all;
  }
  return tasks.map((name) => {
    const i = findColumn(header, name);
    if (i < 0)
      throw new ConfigError(
        `supervised: ${path} has no task column '${name}'; header: ${header.slice(0, 40).join(', ')}`,
      );
    if (i === smiles)
      throw new ConfigError(`supervised: '${name}' is the SMILES column of ${path}, not a task`);
    return i;
  });
}

/**
 * Reads the labels of `path` (the pretraining input): `tasks` null for every column but the
 * SMILES one. Values other than 0, 1, −1 and missing are ConfigErrors naming file, row and column.
 */
export function readLabelTable(path: string, tasks: readonly string[] | null = null): LabelTable {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new MolgroveError('IO', `supervised: cannot read ${path}`);
  }
  if (isDir)
    throw new ConfigError(
      `supervised: the labels are read from the input, which must be one CSV file, not a directory (${path})`,
    );
  const table = readCsvSync(path);
  const cols = taskColumns(table.header, tasks, path);
  const n = table.rows.length;
  const t = cols.length;
  const labels = new Int8Array(n * t);
  // Where a 0 and a −1 were first seen: both in one file is ambiguous (see the header comment).
  let zero: string | null = null;
  let minusOne: string | null = null;
  for (let r = 0; r < n; r++) {
    const row = table.rows[r]!;
    for (let k = 0; k < t; k++) {
      const c = cols[k]!;
      const text = row[c]!.trim();
      const where = () => `${path} row ${r} (line ${table.lines[r]}), column '${table.header[c]}'`;
      let v: number;
      if (MISSING_TEXT.has(text.toLowerCase())) v = MISSING_LABEL;
      else {
        const x = Number(text);
        if (x === 1) v = 1;
        else if (x === 0) {
          v = 0;
          zero ??= where();
        } else if (x === -1) {
          v = 0;
          minusOne ??= where();
        } else
          throw new ConfigError(
            `supervised: ${where()}: label ${JSON.stringify(text)} is not 0, 1, −1 or missing` +
              (tasks === null
                ? ' (tasks default to every column but the SMILES one; choose them with --tasks)'
                : ''),
          );
      }
      labels[r * t + k] = v;
    }
  }
  if (zero !== null && minusOne !== null)
    throw new ConfigError(
      `supervised: ${path} holds both 0 (${zero}) and −1 (${minusOne}) labels; use 0/1 or −1/1 ` +
        '(with −1/1, write missing labels as empty cells, not 0)',
    );
  return { source: path, tasks: cols.map((c) => table.header[c]!), rows: n, labels };
}

/** The batch's targets, molecules × tasks, NaN where missing (what T.bceWithLogits leaves out). */
export function labelTargets(table: LabelTable, rows: ArrayLike<number>): Float32Array {
  const t = table.tasks.length;
  const out = new Float32Array(rows.length * t);
  for (let m = 0; m < rows.length; m++) {
    const r = rows[m]!;
    if (!(r >= 0 && r < table.rows))
      throw new MolgroveError('IO', `supervised: row ${r} is not in ${table.source} (${table.rows} rows)`);
    for (let k = 0; k < t; k++) {
      const v = table.labels[r * t + k]!;
      out[m * t + k] = v === MISSING_LABEL ? Number.NaN : v;
    }
  }
  return out;
}

export interface SupervisedBatch {
  readonly input: GraphBatch;
  readonly targets: Float32Array;
}

class SupervisedHead extends Module {
  readonly linear: Linear;
  constructor(dim: number, tasks: number, rng: T.Rng) {
    super();
    this.linear = this.child('graph_pred_linear', new Linear(dim, tasks, rng));
  }
}

export const supervisedObjective: ObjectiveFactory = {
  name: 'supervised',
  aliases: ['sup', 'multitask'],
  description:
    "supervised multi-task binary classification on the input CSV's label columns (Hu et al. 2020, pretrain-gnns chem/pretrain_supervised.py)",
  featurizer: null,
  moleculeLabels: [],
  defaults: { tasks: '' },
  flags: [
    {
      key: 'tasks',
      flag: '--tasks <names>',
      help: 'supervised: comma-separated label columns of the input (default: every column but the SMILES one)',
    },
  ],
  create({ dim, options, input, rng }): Objective<SupervisedBatch> {
    const tasks = options['tasks'] ?? '';
    if (typeof tasks !== 'string') throw new ConfigError('supervised: tasks must be a list of column names');
    const table = readLabelTable(input, tasks.trim() === '' ? null : parseColumnList(tasks, '--tasks'));
    const head = new SupervisedHead(dim, table.tasks.length, rng);
    return {
      name: 'supervised',
      terms: ['total', 'present'],
      head,
      prepare: (batch: PretrainBatch) => ({ input: batch.graphs, targets: labelTargets(table, batch.rows) }),
      loss(encode, { input: graphs, targets }): ObjectiveLoss {
        const { nodes, view } = encode(graphs);
        const logits = head.linear.forward(readout('mean', nodes, view));
        const total = T.bceWithLogits(logits, targets);
        let present = 0;
        for (const y of targets) if (!Number.isNaN(y)) present++;
        return {
          total,
          values: { total: total.item(), present: targets.length > 0 ? present / targets.length : 0 },
        };
      },
    };
  },
};
