// A pretraining corpus: one SMILES file, or a directory of them (every .csv/.tsv/.smi/.smiles/.txt,
// gzipped or not, in name order) streamed as one sequence of rows numbered across files — so
// `--input ../shared/data/pretrain` pretrains on the whole shared corpus without joining files.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MolgroveError } from '../errors.js';
import { type SmilesRow, type StreamSmilesOptions, streamSmiles } from './csv.js';

const CORPUS_FILE = /\.(csv|tsv|tab|smi|smiles|txt)(\.gz)?$/i;

export interface CorpusFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The files of a corpus (the file itself, or a directory's SMILES files by name). */
export function corpusFiles(input: string): CorpusFile[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(input);
  } catch {
    throw new MolgroveError('IO', `cannot read ${input}`);
  }
  const one = (path: string): CorpusFile => {
    const s = statSync(path);
    return { path: resolve(path), size: s.size, mtimeMs: s.mtimeMs };
  };
  if (!st.isDirectory()) return [one(input)];
  const files = readdirSync(input)
    .filter((f) => CORPUS_FILE.test(f))
    .sort()
    .map((f) => one(join(input, f)));
  if (files.length === 0) throw new MolgroveError('IO', `${input}: no SMILES files (.csv, .tsv, .smi, .txt)`);
  return files;
}

/** A row of a corpus: its SMILES, its row number across the whole corpus, and where it came from. */
export interface CorpusRow extends SmilesRow {
  /** The file the row is in. */
  readonly source: string;
}

/**
 * Streams every file's SMILES in turn; `row` counts across files, `line` is the line in `source`.
 * `limit` applies to the corpus; `column` to each file (default: its `smiles` column, or the first).
 */
export async function* streamCorpus(
  input: string,
  options: Omit<StreamSmilesOptions, 'format'> = {},
): AsyncGenerator<CorpusRow, void, undefined> {
  let row = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (const file of corpusFiles(input)) {
    if (row >= limit) return;
    const stream = streamSmiles(file.path, { ...options, limit: limit - row });
    for await (const r of stream) yield { ...r, row: row++, source: file.path };
  }
}
