/** @tensile/tokenizers: Hugging Face tokenizers in TypeScript. */
export { Tokenizer } from './tokenizer.js';
export { cleanUpTokenization } from './decoders.js';
export type { EncodeOptions, DecodeOptions, AddedTokenInput, PaddingOptions, TruncationOptions, FromJSONOptions } from './tokenizer.js';
export type { Encoding, PaddingParams, TruncationParams, TruncationStrategy, Direction } from './encoding.js';
export type { AddedToken } from './added.js';
export { AutoTokenizer } from './auto.js';
export { TokenizerError } from './errors.js';
export * from './legacy.js';
