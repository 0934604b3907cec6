/**
 * Errors are data: every failure molgrove reports has a stable `code` the CLI maps to an exit code
 * (usage/config → 2, everything else → 1) and callers can branch on without parsing messages.
 */
export type ErrorCode =
  | 'INVALID_SMILES'
  | 'SHAPE'
  | 'CONFIG'
  | 'DATASET'
  | 'CHECKPOINT'
  | 'USAGE'
  | 'IO'
  /** Stopped cleanly on request (Ctrl-C), everything written: exit 130, as a shell reports SIGINT. */
  | 'INTERRUPTED';

export class MolgroveError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MolgroveError';
    this.code = code;
  }
}

/** A SMILES RDKit cannot parse; `row` is the 0-based data row (header excluded) when known. */
export class InvalidSmilesError extends MolgroveError {
  readonly smiles: string;
  readonly row: number | undefined;
  readonly source: string | undefined;
  constructor(smiles: string, where: { row?: number; source?: string } = {}) {
    const loc = [where.source, where.row === undefined ? undefined : `data row ${where.row} (0-based)`]
      .filter(Boolean)
      .join(' ');
    super('INVALID_SMILES', `invalid SMILES${loc ? ` at ${loc}` : ''}: ${JSON.stringify(smiles)}`);
    this.name = 'InvalidSmilesError';
    this.smiles = smiles;
    this.row = where.row;
    this.source = where.source;
  }
}

export class ConfigError extends MolgroveError {
  constructor(message: string) {
    super('CONFIG', message);
    this.name = 'ConfigError';
  }
}

export class DatasetError extends MolgroveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATASET', message, options);
    this.name = 'DatasetError';
  }
}

/** Fails listing the valid choices: the message every registry lookup gives for an unknown alias. */
export function unknownChoice(kind: string, name: string, choices: readonly string[]): ConfigError {
  return new ConfigError(`unknown ${kind} '${name}'; choose one of: ${choices.join(', ')}`);
}

export function exitCodeFor(err: unknown): 1 | 2 | 130 {
  if (err instanceof MolgroveError && err.code === 'INTERRUPTED') return 130;
  if (err instanceof MolgroveError && (err.code === 'CONFIG' || err.code === 'USAGE')) return 2;
  return 1;
}
