// Optimizers, gradient clipping and learning-rate schedules for the tensor engine.
export { Adam, type AdamHyper, type AdamOptions, AdamW } from './adam.js';
export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from './clip.js';
export {
  type BaseLrOption,
  type CosineScheduleOptions,
  constantSchedule,
  cosineSchedule,
  type LRSchedule,
  LRScheduler,
  type LRSchedulerState,
  type NoamSchedule,
  type NoamScheduleOptions,
  noamSchedule,
  type SchedulableOptimizer,
  type StepScheduleOptions,
  stepSchedule,
  type WarmupOptions,
  withWarmup,
} from './schedule.js';
export { SGD, type SGDHyper, type SGDOptions } from './sgd.js';
export {
  type BaseHyper,
  type GroupSpec,
  type GroupStateDict,
  type NamedFloatTensor,
  OptimError,
  Optimizer,
  type OptimizerStateDict,
  type OptimParam,
  type ParamGroup,
  type ParamState,
  stateDictFromTensors,
  stateDictToTensors,
} from './types.js';
