/**
 * @tensile/optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad), learning-rate schedulers
 * (`lrScheduler`, also exported by name) and EarlyStopping. Runs on whatever device the
 * parameters are on.
 */
export {
  Optimizer,
  camelName,
  snakeName,
  stepValue,
  type ParamGroup,
  type ParamGroupSpec,
  type Params,
  type ParamState,
  type OptimizerStateDict,
  type FusedOptimizerKernel,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export * from './lr-scheduler.js';
export * as lrScheduler from './lr-scheduler.js';
export { EarlyStopping, type EarlyStoppingOptions, type StatefulModel } from './early-stopping.js';
