/**
 * Reading molecule tables: CSV, TSV and SMILES files (`.smi`/`.txt`: one SMILES per line, optionally
 * followed by whitespace and an id), each possibly gzipped. Handles a UTF-8 BOM, CRLF/LF/CR and mixed
 * line endings, quoted fields, and skips blank lines (DeepChem's HIV.csv has one after every row).
 *
 * `readCsv` loads a whole table; `streamSmiles` walks a file of any size holding one row at a time.
 * Row numbers are 0-based data rows (header and blank lines excluded); line numbers are 1-based
 * physical lines of the (decompressed) file, as an editor shows them.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PassThrough, pipeline, type Transform } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { type CsvError, type Options as CsvParseOptions, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { ConfigError, DatasetError } from '../errors.js';

/** `csv` comma-separated with a header; `tsv` tab-separated with a header; `smi` one SMILES per line. */
export type TableFormat = 'csv' | 'tsv' | 'smi';

export interface CsvTable {
  /** Column names; a `smi` file gets the synthetic header `smiles` (plus `id` when lines carry ids). */
  header: string[];
  /** Data rows in file order, each exactly `header.length` fields. */
  rows: string[][];
  /** 1-based physical line where each row starts (quoted fields may span lines). */
  lines: number[];
  format: TableFormat;
  /** The path the table was read from (or the label given to `parseCsv`). */
  source: string;
}

export interface ReadCsvOptions {
  /** Overrides detection from the file extension (`.tsv`/`.tab` → tsv, `.smi`/`.smiles`/`.txt` → smi). */
  format?: TableFormat;
}

export interface StreamSmilesOptions extends ReadCsvOptions {
  /** Column holding SMILES; default `smiles` (exact, then case-insensitive), else the first column. */
  column?: string;
  /** Stop after this many rows. */
  limit?: number;
}

export interface SmilesRow {
  /** 0-based data row. */
  row: number;
  /** 1-based physical line. */
  line: number;
  /** The SMILES with surrounding whitespace removed. */
  smiles: string;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** The table format a path implies, looking through a trailing `.gz`. */
export function detectFormat(path: string): TableFormat {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.smi') || name.endsWith('.smiles') || name.endsWith('.txt')) return 'smi';
  return 'csv';
}

/** The default SMILES column of a header: `smiles`, else a unique case-insensitive `smiles`, else the first. */
export function defaultSmilesColumn(header: readonly string[]): string {
  if (header.includes('smiles')) return 'smiles';
  const ci = header.filter((h) => h.trim().toLowerCase() === 'smiles');
  if (ci.length === 1) return ci[0]!;
  const first = header[0];
  if (first === undefined) throw new DatasetError('table has no columns');
  return first;
}

/**
 * Index of `name` in `header`: exact match first, then a unique case-insensitive, whitespace-trimmed
 * match; -1 when absent or ambiguous.
 */
export function findColumn(header: readonly string[], name: string): number {
  const exact = header.indexOf(name);
  if (exact >= 0) return exact;
  const key = name.trim().toLowerCase();
  let found = -1;
  for (let i = 0; i < header.length; i++) {
    if (header[i]!.trim().toLowerCase() === key) {
      if (found >= 0) return -1;
      found = i;
    }
  }
  return found;
}

/**
 * Splits a list of column names given on the command line (`option` names it in messages, e.g.
 * '--target-columns'): comma-separated, CSV-quoted where a name holds a comma, blanks dropped.
 */
export function parseColumnList(value: string, option: string): string[] {
  let records: string[][];
  try {
    records = parseSync(value, { relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    throw new ConfigError(
      `cannot parse ${option} ${JSON.stringify(value)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const names = (records[0] ?? []).filter((s) => s !== '');
  if (records.length > 1 || names.length === 0)
    throw new ConfigError(
      `${option} needs a comma-separated list of column names, got ${JSON.stringify(value)}`,
    );
  return names;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

function ioError(path: string, err: unknown): DatasetError {
  if (err instanceof DatasetError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DatasetError(`cannot read ${path}: ${msg}`, { cause: err });
}

function decode(path: string, bytes: Buffer): string {
  let raw = bytes;
  if (isGzip(raw)) {
    try {
      raw = gunzipSync(raw);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DatasetError(`${path}: corrupt gzip data: ${why}`, { cause: err });
    }
  }
  return raw.toString('utf8');
}

function csvOptions(format: 'csv' | 'tsv'): CsvParseOptions {
  return {
    bom: true,
    delimiter: format === 'tsv' ? '\t' : ',',
    // Explicit so that files mixing endings (HIV.csv: "\r\n\n") split on each; order matters.
    record_delimiter: ['\r\n', '\n', '\r'],
    // Blank lines come through as [''] and are skipped by the caller, which keeps line numbers exact
    // without csv-parse's `info` option (that costs ~3x the parse time). Field counts are checked by
    // the caller too, so that whitespace-only lines can be skipped and errors named.
    skip_empty_lines: false,
    relax_column_count: true,
  };
}

/**
 * Physical line numbers of records, given every record (blank ones included) in order: a record
 * spans one line plus the line breaks inside its quoted fields.
 */
class LineTracker {
  private next = 1;
  /** The 1-based line where `record` starts. */
  advance(record: readonly string[]): number {
    const start = this.next;
    let breaks = 0;
    for (const f of record) {
      if (f.includes('\n') || f.includes('\r')) breaks += f.match(/\r\n|\n|\r/g)?.length ?? 0;
    }
    this.next = start + 1 + breaks;
    return start;
  }
}

function isBlankRecord(record: readonly string[]): boolean {
  return record.length === 1 && record[0]!.trim() === '';
}

function wrapCsvError(source: string, err: unknown): DatasetError {
  if (err instanceof DatasetError) return err;
  const e = err as Partial<CsvError> & { lines?: number };
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.code.startsWith('CSV_')) {
    const where = typeof e.lines === 'number' ? ` line ${e.lines}` : '';
    return new DatasetError(`${source}${where}: ${e.message ?? String(err)}`, { cause: err });
  }
  return ioError(source, err);
}

function fieldCountError(source: string, line: number, expected: number, got: number): DatasetError {
  return new DatasetError(
    `${source} line ${line}: expected ${expected} fields as in the header, got ${got} ` +
      '(an unquoted comma in a field, or a missing one?)',
  );
}

/** One SMILES-file line → [smiles, id] or undefined for blank/comment lines. */
function splitSmiLine(line: string): [string, string] | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const m = /^(\S+)(?:\s+(.*))?$/.exec(t);
  return [m?.[1] ?? t, (m?.[2] ?? '').trim()];
}

/** A first line whose first token is `smiles` (any case) is a header; no SMILES reads that way. */
function isSmiHeader(smiles: string): boolean {
  return smiles.toLowerCase() === 'smiles';
}

function parseSmi(text: string, source: string): CsvTable {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const rows: string[][] = [];
  const lines: number[] = [];
  let anyId = false;
  let first = true;
  for (let i = 0; i < physical.length; i++) {
    const parts = splitSmiLine(physical[i]!);
    if (!parts) continue;
    if (first) {
      first = false;
      if (isSmiHeader(parts[0])) continue;
    }
    if (parts[1] !== '') anyId = true;
    rows.push(parts);
    lines.push(i + 1);
  }
  if (!anyId) for (const r of rows) r.length = 1;
  return { header: anyId ? ['smiles', 'id'] : ['smiles'], rows, lines, format: 'smi', source };
}

/** Parses table text already in memory; `source` labels error messages. */
export function parseCsv(text: string, options: ReadCsvOptions & { source?: string } = {}): CsvTable {
  const source = options.source ?? '<text>';
  const format = options.format ?? detectFormat(source);
  if (format === 'smi') return parseSmi(text, source);
  let records: string[][];
  try {
    records = parseSync(text, csvOptions(format)) as string[][];
  } catch (err) {
    throw wrapCsvError(source, err);
  }
  const tracker = new LineTracker();
  let header: string[] | undefined;
  const rows: string[][] = [];
  const lines: number[] = [];
  for (const record of records) {
    const line = tracker.advance(record);
    if (isBlankRecord(record)) continue;
    if (!header) {
      header = record;
      continue;
    }
    if (record.length !== header.length) throw fieldCountError(source, line, header.length, record.length);
    rows.push(record);
    lines.push(line);
  }
  if (!header) throw new DatasetError(`${source}: empty file (no header line)`);
  return { header, rows, lines, format, source };
}

/** Reads a whole CSV/TSV/SMILES file (gzip detected by its magic bytes). */
export async function readCsv(path: string, options: ReadCsvOptions = {}): Promise<CsvTable> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw ioError(path, err);
  }
  return parseCsv(decode(path, bytes), { ...options, source: path });
}

/** Synchronous `readCsv`. */
export function readCsvSync(path: string, options: ReadCsvOptions = {}): CsvTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw ioError(path, err);
  }
  return parseCsv(decode(path, bytes), { ...options, source: path });
}

function sniffGzip(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && isGzip(head);
  } catch (err) {
    throw ioError(path, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Pipes the file's decompressed bytes into `sink`; read errors surface when reading `sink`. */
function pipeDecoded(path: string, sink: Transform): void {
  const gzip = sniffGzip(path);
  const file = createReadStream(path);
  // pipeline destroys every stage with the error (or on early close); the consumer sees it via sink.
  const ignore = (): void => {};
  if (gzip) pipeline(file, createGunzip(), sink, ignore);
  else pipeline(file, sink, ignore);
}

/**
 * Streams the SMILES of a file row by row without holding the file: for pretraining corpora of
 * millions of lines. Stops after `limit` rows and closes the file when the consumer stops early.
 */
export async function* streamSmiles(
  path: string,
  options: StreamSmilesOptions = {},
): AsyncGenerator<SmilesRow, void, undefined> {
  const format = options.format ?? detectFormat(path);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) return;
  if (format === 'smi') {
    yield* streamSmi(path, options, limit);
    return;
  }
  const parser = parse(csvOptions(format));
  pipeDecoded(path, parser);
  const tracker = new LineTracker();
  let col = -1;
  let width = 0;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = tracker.advance(record);
      if (isBlankRecord(record)) continue;
      if (col < 0) {
        const name = options.column ?? defaultSmilesColumn(record);
        col = findColumn(record, name);
        if (col < 0) throw missingSmilesColumn(path, name, record);
        width = record.length;
        continue;
      }
      if (record.length !== width) throw fieldCountError(path, line, width, record.length);
      yield { row, line, smiles: record[col]!.trim() };
      row++;
      if (row >= limit) return;
    }
  } catch (err) {
    throw wrapCsvError(path, err);
  } finally {
    parser.destroy();
  }
  if (col < 0) throw new DatasetError(`${path}: empty file (no header line)`);
}

function missingSmilesColumn(path: string, name: string, header: readonly string[]): DatasetError {
  return new DatasetError(
    `${path}: no column '${name}'; header: ${header.slice(0, 40).join(', ')}` +
      (header.length > 40 ? `, … (${header.length - 40} more)` : ''),
  );
}

async function* streamSmi(
  path: string,
  options: StreamSmilesOptions,
  limit: number,
): AsyncGenerator<SmilesRow, void, undefined> {
  if (options.column !== undefined && options.column.toLowerCase() !== 'smiles') {
    throw missingSmilesColumn(path, options.column, ['smiles', 'id']);
  }
  const input = new PassThrough();
  pipeDecoded(path, input);
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let row = 0;
  let first = true;
  try {
    for await (const text of rl) {
      line++;
      const parts = splitSmiLine(line === 1 ? text.replace(/^\uFEFF/, '') : text);
      if (!parts) continue;
      if (first) {
        first = false;
        if (isSmiHeader(parts[0])) continue;
      }
      yield { row, line, smiles: parts[0] };
      row++;
      if (row >= limit) return;
    }
  } catch (err) {
    throw ioError(path, err);
  } finally {
    rl.close();
    input.destroy();
  }
}
