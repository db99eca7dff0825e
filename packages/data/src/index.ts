/**
 * @tensile/data: PyTorch's torch.utils.data in TypeScript: datasets, samplers, DataLoader (sync and
 * async iteration with prefetch), collation, k-fold splits, and browser-safe parsers for CSV, JSONL
 * and IDX. File readers (readCsv, CsvDataset, readJsonl, JsonlDataset, readIdx, MnistDataset) need
 * Node and live in the `@tensile/data/node` entry point, so this one never imports node:* modules.
 */
export {
  Dataset,
  IterableDataset,
  TensorDataset,
  Subset,
  ConcatDataset,
  randomSplit,
  kFold,
  isMapDataset,
  datasetLength,
  datasetGet,
  normIndex,
  type MapDataset,
  type TensorRows,
  type Fold,
} from './dataset.js';
export {
  Sampler,
  SequentialSampler,
  RandomSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  BatchSampler,
  samplerLength,
  type RandomSamplerOptions,
} from './sampler.js';
export { defaultCollate, disposeTensors, forEachTensor, type Collated } from './collate.js';
export { DataLoader, type DataLoaderOptions, type IndexSampler, type IndexBatchSampler } from './dataloader.js';
export { uniforms, randomInts, randperm } from './random.js';
export { parseCsv, parseCsvRecords, parseCsvNumber, CsvTable, type CsvOptions, type CsvColumnType, type CsvValue, type CsvRecord } from './csv.js';
export { parseJsonl, parseJsonlLine } from './jsonl.js';
export { parseIdx, parseIdxHeader, decodeIdx, encodeIdx, isGzip, type IdxType, type IdxHeader } from './idx.js';
