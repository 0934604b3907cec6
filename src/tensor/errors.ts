// The engine's own error type. `code` uses the same stable values as molgrove's error hierarchy
// ('SHAPE' for shape/size mismatches), without importing it: src/tensor imports nothing of molgrove.

export type TensorErrorCode = 'SHAPE' | 'CONFIG' | 'STATE';

export class TensorError extends Error {
  readonly code: TensorErrorCode;
  constructor(code: TensorErrorCode, message: string) {
    super(message);
    this.name = 'TensorError';
    this.code = code;
  }
}

export function shapeError(op: string, message: string): TensorError {
  return new TensorError('SHAPE', `${op}: ${message}`);
}
