// Fine-tunes a small labelled set from a pretrained encoder with the encoder frozen (CLI, in-process)
// and returns the pretrained and the fine-tuned encoder states, for tests that check the weights
// came through unchanged.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedEncoder } from '../../src/models/encoder-file.js';
import { loadEncoderFile } from '../../src/models/model-file-node.js';
import { runCli } from './cli.js';

const SMILES = [
  'c1ccccc1O',
  'CCO',
  'CC(=O)Nc1ccc(O)cc1',
  'CCN(CC)CC',
  'c1ccncc1',
  'C1CCCCC1',
  'Cc1ccccc1',
  'CCCC',
];

export async function finetuneFrozen(
  pretrained: string,
  dir: string,
): Promise<{ arch: string; pre: DecodedEncoder; tuned: DecodedEncoder }> {
  const csv = join(dir, 'labelled.csv');
  writeFileSync(csv, `smiles,y\n${SMILES.map((m) => `${m},${/c/.test(m) ? 1 : 0}`).join('\n')}\n`);
  const ft = join(dir, 'frozen-ft');
  const f = await runCli([
    'finetune',
    '--csv',
    csv,
    '--from',
    pretrained,
    '--freeze-encoder',
    '--split',
    'random',
    '--epochs',
    '1',
    '--out',
    ft,
    '--json',
    '--jobs',
    '1',
  ]);
  assert.equal(f.code, 0, f.err);
  const pre = await loadEncoderFile(pretrained);
  const tuned = await loadEncoderFile(join(ft, 'seed-0', 'model.mgv'));
  assert.deepEqual(Object.keys(tuned.state).sort(), Object.keys(pre.state).sort());
  return { arch: (JSON.parse(f.out) as { arch: string }).arch, pre, tuned };
}
