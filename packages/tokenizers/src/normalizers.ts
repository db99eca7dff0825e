/** Normalizers, driven by tokenizer.json's `normalizer` field (Hugging Face's names and semantics). */
import { JsonReader, joinPath } from './errors.js';
import { NormalizedString, Ops, regexMatches } from './normalized.js';
import { PrecompiledCharsmap } from './precompiled.js';
import { escapeRegExp, isChineseChar, isMarkNonspacing, isOther, isWhitespace, translateRegex } from './unicode.js';

export interface Normalizer {
  normalize(ns: NormalizedString): void;
  toJSON(): object;
}

/** A `{String: "..."}` or `{Regex: "..."}` pattern, compiled to a global RegExp. */
export interface PatternSpec {
  json: object;
  re: RegExp;
}

export function parsePattern(r: JsonReader, v: unknown, path: string): PatternSpec {
  const o = r.obj(v, path);
  if ('String' in o) {
    const s = r.str(o.String, joinPath(path, 'String'));
    return { json: { String: s }, re: new RegExp(escapeRegExp(s), 'gu') };
  }
  if ('Regex' in o) {
    const s = r.str(o.Regex, joinPath(path, 'Regex'));
    return { json: { Regex: s }, re: translateRegex(s, r.file, joinPath(path, 'Regex')) };
  }
  return r.fail(path, 'expected {"String": ...} or {"Regex": ...}');
}

/** White_Space characters other than U+0020 (all in the BMP). */
const OTHER_WHITESPACE = /[\t-\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;

/** Whether NFD could change anything: only characters from U+00C0 up decompose. */
function mayDecompose(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xc0) return true;
  return false;
}

export class BertNormalizer implements Normalizer {
  constructor(
    readonly cleanText: boolean,
    readonly handleChineseChars: boolean,
    readonly stripAccents: boolean | null,
    readonly lowercase: boolean,
  ) {}
  normalize(ns: NormalizedString): void {
    if (this.cleanText) {
      let needs = false;
      const s = ns.s;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 32 || c === 127 || c >= 128) {
          needs = true;
          break;
        }
      }
      if (needs) {
        ns.filter((c) => !(c === 0 || c === 0xfffd || (c !== 9 && c !== 10 && c !== 13 && isOther(c))));
        let ws = false;
        const t = ns.s;
        for (let i = 0; i < t.length; i++) {
          const c = t.charCodeAt(i);
          if (c !== 32 && (c < 128 ? c >= 9 && c <= 13 : isWhitespace(c))) {
            ws = true;
            break;
          }
        }
        // Every White_Space character but the space itself, all one UTF-16 unit: replaced one
        // for one, so the alignments stay (what ns.map would give, without its per-character work).
        if (ws) ns.setText(ns.s.replace(OTHER_WHITESPACE, ' '));
      }
    }
    if (this.handleChineseChars) {
      const s = ns.s;
      let any = false;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x3400 && (isChineseChar(c) || (c >= 0xd800 && c < 0xdc00 && isChineseChar(s.codePointAt(i)!)))) {
          any = true;
          break;
        }
      }
      if (any) {
        const ops = new Ops();
        for (let i = 0; i < s.length; ) {
          const cp = s.codePointAt(i)!;
          i += cp > 0xffff ? 2 : 1;
          if (isChineseChar(cp)) {
            ops.push(32, 0);
            ops.push(cp, 1);
            ops.push(32, 1);
          } else ops.push(cp, 0);
        }
        ns.transform(ops);
      }
    }
    const strip = this.stripAccents ?? this.lowercase;
    if (strip && mayDecompose(ns.s)) {
      ns.normalizeForm('NFD');
      ns.filter((c) => !isMarkNonspacing(c));
    }
    if (this.lowercase) ns.lowercase();
  }
  toJSON(): object {
    return {
      type: 'BertNormalizer',
      clean_text: this.cleanText,
      handle_chinese_chars: this.handleChineseChars,
      strip_accents: this.stripAccents,
      lowercase: this.lowercase,
    };
  }
}

class SimpleNormalizer implements Normalizer {
  constructor(
    readonly type: string,
    readonly fn: (ns: NormalizedString) => void,
  ) {}
  normalize(ns: NormalizedString): void {
    this.fn(ns);
  }
  toJSON(): object {
    return { type: this.type };
  }
}

class StripNormalizer implements Normalizer {
  constructor(
    readonly left: boolean,
    readonly right: boolean,
  ) {}
  normalize(ns: NormalizedString): void {
    ns.strip(this.left, this.right, isWhitespace);
  }
  toJSON(): object {
    return { type: 'Strip', strip_left: this.left, strip_right: this.right };
  }
}

class ReplaceNormalizer implements Normalizer {
  constructor(
    readonly pattern: PatternSpec,
    readonly content: string,
  ) {}
  normalize(ns: NormalizedString): void {
    this.pattern.re.lastIndex = 0;
    if (!this.pattern.re.test(ns.s)) return;
    ns.replaceMatches(regexMatches(ns.s, this.pattern.re), this.content);
  }
  toJSON(): object {
    return { type: 'Replace', pattern: this.pattern.json, content: this.content };
  }
}

class PrependNormalizer implements Normalizer {
  constructor(readonly prepend: string) {}
  normalize(ns: NormalizedString): void {
    ns.prepend(this.prepend);
  }
  toJSON(): object {
    return { type: 'Prepend', prepend: this.prepend };
  }
}

class PrecompiledNormalizer implements Normalizer {
  constructor(
    readonly base64: string,
    readonly map: PrecompiledCharsmap,
  ) {}
  normalize(ns: NormalizedString): void {
    this.map.normalize(ns);
  }
  toJSON(): object {
    return { type: 'Precompiled', precompiled_charsmap: this.base64 };
  }
}

class SequenceNormalizer implements Normalizer {
  constructor(readonly normalizers: Normalizer[]) {}
  normalize(ns: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(ns);
  }
  toJSON(): object {
    return { type: 'Sequence', normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}

const TYPES = [
  'BertNormalizer',
  'NFC',
  'NFD',
  'NFKC',
  'NFKD',
  'Lowercase',
  'StripAccents',
  'Strip',
  'Replace',
  'Prepend',
  'Precompiled',
  'Sequence',
] as const;

/** Build a normalizer from its JSON (null: none). */
export function parseNormalizer(r: JsonReader, v: unknown, path: string): Normalizer | null {
  if (v === null || v === undefined) return null;
  const o = r.obj(v, path);
  const t = r.type(o, path, 'normalizer', TYPES);
  switch (t) {
    case 'BertNormalizer': {
      const sa = o.strip_accents;
      return new BertNormalizer(
        r.optBool(o, 'clean_text', path, true),
        r.optBool(o, 'handle_chinese_chars', path, true),
        sa === undefined || sa === null ? null : r.bool(sa, joinPath(path, 'strip_accents')),
        r.optBool(o, 'lowercase', path, true),
      );
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return new SimpleNormalizer(t, (ns) => ns.normalizeForm(t));
    case 'Lowercase':
      return new SimpleNormalizer(t, (ns) => ns.lowercase());
    case 'StripAccents':
      return new SimpleNormalizer(t, (ns) => ns.filter((c) => !isMarkNonspacing(c)));
    case 'Strip':
      return new StripNormalizer(r.optBool(o, 'strip_left', path, true), r.optBool(o, 'strip_right', path, true));
    case 'Replace':
      return new ReplaceNormalizer(parsePattern(r, o.pattern, joinPath(path, 'pattern')), r.str(o.content, joinPath(path, 'content')));
    case 'Prepend':
      return new PrependNormalizer(r.str(o.prepend, joinPath(path, 'prepend')));
    case 'Precompiled': {
      const p = joinPath(path, 'precompiled_charsmap');
      const b64 = r.str(o.precompiled_charsmap, p);
      return new PrecompiledNormalizer(b64, new PrecompiledCharsmap(b64, r.file, p));
    }
    case 'Sequence': {
      const p = joinPath(path, 'normalizers');
      const list = r.arr(o.normalizers, p);
      return new SequenceNormalizer(
        list.map((n, i) => parseNormalizer(r, n, joinPath(p, i))).filter((n): n is Normalizer => n !== null),
      );
    }
  }
  return r.fail(path, 'unreachable');
}

