/** Added tokens (special or not), matched in the text before the model runs. */
import { NormalizedString } from './normalized.js';
import type { Normalizer } from './normalizers.js';
import { escapeRegExp } from './unicode.js';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A piece of the input: an added token (id >= 0) or text for the model (id -1). */
export interface Piece {
  ns: NormalizedString;
  id: number;
}

const WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\u200c\u200d]/u;
const WS = /\p{White_Space}/u;

function lastChar(s: string, end: number): string {
  if (end <= 0) return '';
  const c = s.charCodeAt(end - 1);
  return c >= 0xdc00 && c < 0xe000 && end >= 2 ? s.slice(end - 2, end) : s[end - 1]!;
}

export class AddedVocabulary {
  readonly byId = new Map<number, AddedToken>();
  readonly byContent = new Map<string, number>();
  readonly specials = new Set<string>();
  private rawRe: RegExp | null = null;
  private normRe: RegExp | null = null;

  get size(): number {
    return this.byId.size;
  }

  add(t: AddedToken): void {
    const old = this.byId.get(t.id);
    if (old && old.content !== t.content) this.byContent.delete(old.content);
    this.byId.set(t.id, t);
    this.byContent.set(t.content, t.id);
    if (t.special) this.specials.add(t.content);
    else this.specials.delete(t.content);
  }

  /** Rebuild the matchers (after adding tokens or changing the normalizer). */
  refresh(normalizer: Normalizer | null): void {
    const raw: string[] = [];
    const norm: string[] = [];
    for (const t of this.byId.values()) {
      if (!t.content) continue;
      if (t.normalized && normalizer) {
        const ns = NormalizedString.from(t.content);
        normalizer.normalize(ns);
        if (ns.s) norm.push(ns.s);
      } else raw.push(t.content);
    }
    const build = (list: string[]) =>
      list.length ? new RegExp([...new Set(list)].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'gu') : null;
    this.rawRe = build(raw);
    this.normRe = build(norm);
    this.normMap.clear();
    for (const t of this.byId.values()) {
      if (t.normalized && normalizer && t.content) {
        const ns = NormalizedString.from(t.content);
        normalizer.normalize(ns);
        if (!this.normMap.has(ns.s)) this.normMap.set(ns.s, t.id);
      }
    }
  }
  private readonly normMap = new Map<string, number>();

  /** Whether some added token is matched in the normalized text (then extract must normalize first). */
  get hasNormalized(): boolean {
    return this.normRe !== null;
  }

  /** The added tokens matched in the raw text, as extract finds them: [start, end, id] triples. */
  rawMatches(text: string): number[] {
    return this.rawRe ? this.findMatches(text, this.rawRe, (c) => this.byContent.get(c)!) : [];
  }

  /** Find added tokens in `s` (leftmost-longest), as [start, end, id] triples (lstrip/rstrip/single_word applied). */
  private findMatches(s: string, re: RegExp, lookup: (m: string) => number): number[] {
    const out: number[] = [];
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    let startOffset = 0;
    while ((m = re.exec(s)) !== null) {
      let start = m.index;
      let stop = start + m[0].length;
      const id = lookup(m[0]);
      const tok = this.byId.get(id)!;
      if (tok.singleWord) {
        const startSpace = start === 0 || !WORD_CHAR.test(lastChar(s, start));
        const stopSpace = stop === s.length || !WORD_CHAR.test(String.fromCodePoint(s.codePointAt(stop)!));
        if (!startSpace || !stopSpace) continue;
      }
      if (tok.lstrip) {
        let ns = start;
        while (ns > 0) {
          const ch = lastChar(s, ns);
          if (!WS.test(ch)) break;
          ns -= ch.length;
        }
        start = Math.max(ns, startOffset);
      }
      if (tok.rstrip) {
        while (stop < s.length) {
          const ch = String.fromCodePoint(s.codePointAt(stop)!);
          if (!WS.test(ch)) break;
          stop += ch.length;
        }
        re.lastIndex = stop;
      }
      out.push(start, stop, id);
      startOffset = stop;
    }
    return out;
  }

  /** Split `text` on added tokens and normalize the rest (Hugging Face's extract_and_normalize). */
  extract(text: string, normalizer: Normalizer | null, out: Piece[]): void {
    const whole = NormalizedString.from(text);
    if (text.length === 0) return;
    const pieces: Piece[] = [];
    if (this.rawRe) {
      const ms = this.findMatches(text, this.rawRe, (c) => this.byContent.get(c)!);
      let prev = 0;
      for (let i = 0; i < ms.length; i += 3) {
        if (ms[i]! > prev) pieces.push({ ns: whole.slice(prev, ms[i]!), id: -1 });
        pieces.push({ ns: whole.slice(ms[i]!, ms[i + 1]!), id: ms[i + 2]! });
        prev = ms[i + 1]!;
      }
      if (prev < text.length) pieces.push({ ns: whole.slice(prev, text.length), id: -1 });
    } else pieces.push({ ns: whole, id: -1 });
    for (const p of pieces) {
      if (p.id >= 0) {
        out.push(p);
        continue;
      }
      let ns = p.ns;
      if (normalizer) {
        ns = ns.clone();
        normalizer.normalize(ns);
      }
      if (ns.s.length === 0) continue;
      if (!this.normRe) {
        out.push({ ns, id: -1 });
        continue;
      }
      const ms = this.findMatches(ns.s, this.normRe, (c) => this.normMap.get(c)!);
      let prev = 0;
      for (let i = 0; i < ms.length; i += 3) {
        if (ms[i]! > prev) out.push({ ns: ns.slice(prev, ms[i]!), id: -1 });
        out.push({ ns: ns.slice(ms[i]!, ms[i + 1]!), id: ms[i + 2]! });
        prev = ms[i + 1]!;
      }
      if (prev < ns.s.length) out.push({ ns: ns.slice(prev, ns.s.length), id: -1 });
    }
  }
}
