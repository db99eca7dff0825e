/** Where the tokenizer fixtures live: TENSILE_FIXTURES (a folder holding tokenizers/) or the package's copy. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function fixturesRoot(): string {
  const env = process.env.TENSILE_FIXTURES;
  const root = env && env.trim() ? resolve(env) : resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
  const dir = existsSync(join(root, 'tokenizers')) ? join(root, 'tokenizers') : root;
  if (!existsSync(dir)) throw new Error(`tokenizer fixtures folder ${dir} does not exist (check TENSILE_FIXTURES)`);
  return dir;
}

export const TOKENIZERS = ['gpt2', 'bert-base-uncased', 'unigram-small'] as const;

export interface GoldenCase {
  name: string;
  category: string;
  text: string;
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  decoded: string;
  decoded_no_cleanup: string;
}
export interface GoldenPair {
  name: string;
  text: string;
  text_pair: string;
  ids: number[];
  tokens: string[];
  token_type_ids: number[];
  offsets: [number, number][];
  decoded: string;
}
export interface GoldenBatch {
  name: string;
  texts: string[];
  padding: string;
  padding_side: 'left' | 'right';
  truncation: string;
  max_length: number;
  pad_token: string;
  pad_token_id: number;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
}
export interface Golden {
  tokenizer: string;
  cases: GoldenCase[];
  pairs?: GoldenPair[];
  batches?: GoldenBatch[];
}

export function loadGolden(name: string): Golden {
  return JSON.parse(readFileSync(join(fixturesRoot(), name, 'golden.json'), 'utf8')) as Golden;
}

export function tokenizerPath(name: string): string {
  return join(fixturesRoot(), name, 'tokenizer.json');
}
