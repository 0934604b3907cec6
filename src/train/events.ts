// Typed events a training run emits; the CLI renders them, the run directory stores the epoch
// records as JSONL. Nothing in src/train prints.

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validLoss: number;
  /** Validation and test score of the run's metric (mean over scored tasks; NaN if none). */
  readonly valid: number;
  readonly test: number;
  /** Learning rate at the end of the epoch (first parameter group). */
  readonly lr: number;
  readonly seconds: number;
}

export interface SeedResult {
  readonly seed: number;
  readonly splitSeed: number;
  readonly metric: string;
  readonly bestEpoch: number;
  readonly valid: number;
  readonly test: number;
  readonly testPerTask: readonly (number | null)[];
  readonly epochsRun: number;
  readonly secondsPerEpoch: number;
  readonly trainSize: number;
  readonly validSize: number;
  readonly testSize: number;
  readonly stoppedEarly: boolean;
}

export type TrainEvent =
  | {
      readonly type: 'seed-start';
      readonly seed: number;
      readonly splitSeed: number;
      readonly parameters: number;
      readonly dir: string;
    }
  | { readonly type: 'resume'; readonly seed: number; readonly epoch: number }
  | ({ readonly type: 'epoch'; readonly seed: number; readonly best: boolean } & EpochRecord)
  | { readonly type: 'seed-done'; readonly result: SeedResult; readonly reused: boolean };

export type EventSink = (e: TrainEvent) => void;
