// Fine-tunes a small labelled set from a pretrained encoder with the encoder frozen (CLI, in-process)
// and returns the pretrained and the fine-tuned encoder states, for tests that check the weights
// came through unchanged.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { DecodedEncoder } from '../../src/models/encoder-file.js';
import { loadEncoderFile } from '../../src/models/model-file-node.js';
import { runCli } from './cli.js';
import { writeAromaticCsv } from './molecules.js';

export async function finetuneFrozen(
  pretrained: string,
  dir: string,
): Promise<{ arch: string; pre: DecodedEncoder; tuned: DecodedEncoder }> {
  const csv = writeAromaticCsv(join(dir, 'labelled.csv'), 8);
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
