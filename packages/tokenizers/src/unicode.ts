/**
 * Unicode character classes as Rust's `char` methods define them (White_Space, alphanumeric,
 * punctuation, ...), with ASCII fast paths, and the translation of Oniguruma regexes (as
 * tokenizer.json stores them) to JavaScript.
 */
import { TokenizerError } from './errors.js';

const RE_WS = /^\p{White_Space}$/u;
const RE_PUNCT = /^\p{P}$/u;
const RE_ALNUM = /^[\p{Alphabetic}\p{N}]$/u;
const RE_NUMERIC = /^\p{N}$/u;
const RE_OTHER = /^\p{C}$/u;
const RE_MN = /^\p{Mn}$/u;

/** Rust `char::is_whitespace` (the White_Space property). */
export function isWhitespace(cp: number): boolean {
  if (cp < 128) return cp === 32 || (cp >= 9 && cp <= 13);
  return RE_WS.test(String.fromCodePoint(cp));
}

/** BERT punctuation: ASCII punctuation or any Unicode P* character. */
export function isBertPunctuation(cp: number): boolean {
  if (cp < 128) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return RE_PUNCT.test(String.fromCodePoint(cp));
}

/** Rust `char::is_alphanumeric`. */
export function isAlphanumeric(cp: number): boolean {
  if (cp < 128) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  return RE_ALNUM.test(String.fromCodePoint(cp));
}

/** Rust `char::is_numeric` (N* categories). */
export function isNumeric(cp: number): boolean {
  if (cp < 128) return cp >= 48 && cp <= 57;
  return RE_NUMERIC.test(String.fromCodePoint(cp));
}

/** Unicode "Other" (Cc, Cf, Cs, Co, Cn). */
export function isOther(cp: number): boolean {
  if (cp < 128) return cp < 32 || cp === 127;
  return RE_OTHER.test(String.fromCodePoint(cp));
}

/** Nonspacing mark (Mn). */
export function isMarkNonspacing(cp: number): boolean {
  if (cp < 0x300) return false;
  return RE_MN.test(String.fromCodePoint(cp));
}

/** BERT's CJK ideograph ranges. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Number of UTF-16 code units of a code point. */
export function cpLen(cp: number): number {
  return cp > 0xffff ? 2 : 1;
}

/** UTF-8 byte length of a code point. */
export function utf8Len(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Escape a literal string for use in a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Translate an Oniguruma / Rust regex (as Hugging Face stores patterns) to a global, Unicode-aware
 * JavaScript RegExp. `\A`, `\z`, `\Z`, `\s` (White_Space, as Oniguruma has it) and scoped
 * case-insensitive groups `(?i:...)` are rewritten; anything JavaScript cannot compile is a
 * TokenizerError naming `path`.
 */
export function translateRegex(pattern: string, file: string, path: string): RegExp {
  let out = '';
  let inClass = 0;
  let ciDepth = -1; // group depth at which a (?i: group opened
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      i++;
      if (n === undefined) break;
      if (!inClass && n === 'A') out += '^';
      else if (!inClass && n === 'z') out += '$';
      else if (!inClass && n === 'Z') out += '(?=\\n?$)';
      else if (n === 's') out += inClass ? '\\p{White_Space}' : '\\p{White_Space}';
      else if (n === 'S') out += inClass ? '\\P{White_Space}' : '\\P{White_Space}';
      else if (n === 'p' || n === 'P') {
        // \p{L}, \pL
        if (pattern[i + 1] === '{') {
          const end = pattern.indexOf('}', i);
          out += `\\${n}${pattern.slice(i + 1, end + 1)}`;
          i = end;
        } else {
          out += `\\${n}{${pattern[i + 1]}}`;
          i++;
        }
      } else out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === '[') inClass++;
      else if (c === ']') inClass--;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = 1;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      depth++;
      if (pattern.startsWith('(?i:', i)) {
        if (ciDepth < 0) ciDepth = depth;
        out += '(?:';
        i += 3;
        continue;
      }
      out += c;
      continue;
    }
    if (c === ')') {
      if (depth === ciDepth) ciDepth = -1;
      depth--;
      out += c;
      continue;
    }
    if (ciDepth >= 0 && /[a-zA-Z]/.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  try {
    return new RegExp(out, 'gu');
  } catch (e) {
    throw new TokenizerError(`unsupported regex ${JSON.stringify(pattern)}: ${(e as Error).message}`, file, path);
  }
}
