/** @tensile/tokenizers: Hugging Face tokenizers in TypeScript. */
export {};
