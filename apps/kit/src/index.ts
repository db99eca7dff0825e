/**
 * @tensile/app-kit: the shared parts of the example apps: command line (parseAppArgs), device
 * selection (useDevice), progress bars, atomic checkpoints with exact resume, metrics.json and an
 * HTML report with chart.js curves.
 */
export { parseAppArgs, parseNumberFlag, runMain, UsageError, COMMON_DEFAULTS, type CommonOptions, type ParseArgsOptionsConfig, type AppOption, type AppOptionsConfig, type ExtraValues, type CamelCase } from './args.js';
export { useDevice, probeDevice, deviceTestGate, currentDevice, describeDevice, releaseDevices, DEVICE_PACKAGES } from './device.js';
export { ProgressBar, type ProgressBarOptions } from './progress.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, CHECKPOINT_JSON, CHECKPOINT_TENSORS, type CheckpointState, type LoadedCheckpoint, type Stateful, type SaveFaults } from './checkpoint.js';
export { writeMetrics, writeReport, renderReport, metricNames, chartJsUmd, type EpochRecord, type RunMetrics } from './metrics.js';
export { epochGenerator } from './random.js';
export { trackLiveTensors, isFlat } from './memory.js';
export { writeFileAtomic } from './files.js';
