/**
 * NormalizedString: a piece of text being normalized, with, for every UTF-16 code unit of the
 * normalized text, the [start, end) span of the original text it came from (absolute UTF-16
 * indices into the input). This is Hugging Face's `NormalizedString` with its byte alignments
 * replaced by UTF-16 ones; `transform` follows the same (char, change) convention:
 * change 0 replaces one character, 1 inserts one (aligned with the previous character), -n
 * replaces one character and removes the n following ones. Internally a code point of -1 with a
 * change n stands for Hugging Face's `initial_offset`: skip n characters.
 */
import { cpLen } from './unicode.js';

/** A list of (code point, change) operations for NormalizedString.transform. */
export class Ops {
  cps: number[] = [];
  chg: number[] = [];
  push(cp: number, change: number): void {
    this.cps.push(cp);
    this.chg.push(change);
  }
  /** Skip (remove) `n` characters at the current position (Hugging Face's initial_offset). */
  skip(n: number): void {
    if (n > 0) this.push(-1, n);
  }
  get length(): number {
    return this.cps.length;
  }
}

/** How a matched delimiter is kept when splitting (Hugging Face's SplitDelimiterBehavior). */
export type SplitBehavior = 'removed' | 'isolated' | 'merged_with_previous' | 'merged_with_next' | 'contiguous';

/** Matches of a pattern as a flat list: start, end, isMatch (1/0) triples covering the string. */
export type Matches = number[];

function codePointsToString(cps: number[]): string {
  let out = '';
  for (let i = 0; i < cps.length; i += 4096) out += String.fromCodePoint(...cps.slice(i, i + 4096).filter((c) => c >= 0));
  return out;
}

export class NormalizedString {
  constructor(
    /** The normalized text. */
    public s: string,
    /** Two entries per code unit of `s`: original start, original end. */
    public align: Int32Array,
    /** Start of the original span this string covers. */
    public origStart: number,
    /** End of the original span this string covers. */
    public origEnd: number,
  ) {}

  /** A fresh NormalizedString for text[start, end): every unit aligned to its character. */
  static from(text: string, start = 0, end = text.length): NormalizedString {
    const n = end - start;
    const a = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(start + i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const d = text.charCodeAt(start + i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          const p = start + i;
          a[2 * i] = p;
          a[2 * i + 1] = p + 2;
          a[2 * i + 2] = p;
          a[2 * i + 3] = p + 2;
          i++;
          continue;
        }
      }
      a[2 * i] = start + i;
      a[2 * i + 1] = start + i + 1;
    }
    return new NormalizedString(n === text.length ? text : text.slice(start, end), a, start, end);
  }

  get length(): number {
    return this.s.length;
  }

  /** The original span of normalized range [a, b) (Hugging Face's convert_offsets). */
  originalRange(a: number, b: number): [number, number] {
    if (a >= b || this.s.length === 0) return [this.origStart + a, this.origStart + b];
    const al = this.align;
    if (b > this.s.length) b = this.s.length;
    return [al[2 * a]!, al[2 * b - 1]!];
  }

  /** The sub-string for normalized range [a, b). */
  slice(a: number, b: number): NormalizedString {
    if (a === 0 && b === this.s.length) return this;
    const [os, oe] = a < b ? [this.align[2 * a]!, this.align[2 * b - 1]!] : [this.origStart, this.origStart];
    return new NormalizedString(this.s.slice(a, b), this.align.subarray(2 * a, 2 * b), os, oe);
  }

  /** Apply (code point, change) operations to the whole string. */
  transform(ops: Ops): void {
    const { cps, chg } = ops;
    const s = this.s;
    const al = this.align;
    let units = 0;
    for (let i = 0; i < cps.length; i++) if (cps[i]! >= 0) units += cpLen(cps[i]!);
    const na = new Int32Array(2 * units);
    let off = 0;
    let k = 0;
    const n = s.length;
    const adv = (): void => {
      if (off >= n) return;
      const c = s.charCodeAt(off);
      off += c >= 0xd800 && c < 0xdc00 && off + 1 < n && (s.charCodeAt(off + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    };
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      const ch = chg[i]!;
      if (cp < 0) {
        for (let r = 0; r < ch; r++) adv();
        continue;
      }
      let as: number;
      let ae: number;
      if (ch > 0) {
        if (off < 1) as = ae = this.origStart;
        else {
          as = al[2 * (off - 1)]!;
          ae = al[2 * (off - 1) + 1]!;
        }
      } else {
        if (off < n) {
          as = al[2 * off]!;
          ae = al[2 * off + 1]!;
        } else as = ae = this.origEnd;
        adv();
        for (let r = 0; r < -ch; r++) adv();
      }
      na[k++] = as;
      na[k++] = ae;
      if (cp > 0xffff) {
        na[k++] = as;
        na[k++] = ae;
      }
    }
    this.s = codePointsToString(cps);
    this.align = na;
  }

  /** Keep only the characters for which `keep` is true. */
  filter(keep: (cp: number) => boolean): void {
    const s = this.s;
    const ops = new Ops();
    let removed = 0;
    let last = -1;
    let started = false;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      if (keep(cp)) {
        if (last >= 0) ops.push(last, -removed);
        else if (!started) {
          ops.skip(removed);
          started = true;
        }
        last = cp;
        removed = 0;
      } else removed++;
    }
    if (last >= 0) ops.push(last, -removed);
    this.transform(ops);
  }

  /** Replace each character by f(character) (one for one). */
  map(f: (cp: number) => number): void {
    const s = this.s;
    const ops = new Ops();
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      ops.push(f(cp), 0);
    }
    this.transform(ops);
  }

  /** Lowercase character by character (a character may lowercase to several). */
  lowercase(): void {
    const s = this.s;
    if (s.toLowerCase() === s) return;
    const ops = new Ops();
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const lower = s.slice(i, i + w).toLowerCase();
      i += w;
      let first = true;
      for (const ch of lower) {
        ops.push(ch.codePointAt(0)!, first ? 0 : 1);
        first = false;
      }
    }
    this.transform(ops);
  }

  /** Uppercase character by character. */
  uppercase(): void {
    const s = this.s;
    if (s.toUpperCase() === s) return;
    const ops = new Ops();
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const upper = s.slice(i, i + w).toUpperCase();
      i += w;
      let first = true;
      for (const ch of upper) {
        ops.push(ch.codePointAt(0)!, first ? 0 : 1);
        first = false;
      }
    }
    this.transform(ops);
  }

  /** Unicode normalization (NFC, NFD, NFKC, NFKD), keeping alignments. */
  normalizeForm(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void {
    const s = this.s;
    if (s.normalize(form) === s) return;
    const ops = new Ops();
    const decompose = form === 'NFD' || form === 'NFKD';
    // Chunks: a character and the combining characters that follow it.
    let i = 0;
    while (i < s.length) {
      let j = i + (s.codePointAt(i)! > 0xffff ? 2 : 1);
      while (j < s.length) {
        const cp = s.codePointAt(j)!;
        if (!isCombiningLike(cp)) break;
        j += cp > 0xffff ? 2 : 1;
      }
      const chunk = s.slice(i, j);
      i = j;
      const norm = chunk.normalize(form);
      if (norm === chunk) {
        for (const ch of chunk) ops.push(ch.codePointAt(0)!, 0);
        continue;
      }
      if (decompose) {
        // Character by character: first of each decomposition replaces, the rest are inserted.
        let per = '';
        const tmp = new Ops();
        for (const ch of chunk) {
          const d = ch.normalize(form);
          per += d;
          let first = true;
          for (const dc of d) {
            tmp.push(dc.codePointAt(0)!, first ? 0 : 1);
            first = false;
          }
        }
        if (per === norm) {
          for (let t = 0; t < tmp.length; t++) ops.push(tmp.cps[t]!, tmp.chg[t]!);
          continue;
        }
      }
      const inCps = Array.from(chunk, (c) => c.codePointAt(0)!);
      const outCps = Array.from(norm, (c) => c.codePointAt(0)!);
      const m = inCps.length;
      const n = outCps.length;
      if (n >= m) {
        for (let t = 0; t < n; t++) ops.push(outCps[t]!, t < m ? 0 : 1);
      } else {
        for (let t = 0; t < n; t++) ops.push(outCps[t]!, t === n - 1 ? -(m - n) : 0);
        if (n === 0) ops.skip(m);
      }
    }
    this.transform(ops);
  }

  /** Insert `str` before the first character (aligned with it); nothing on an empty string. */
  prepend(str: string): void {
    if (this.s.length === 0 || str.length === 0) return;
    const ops = new Ops();
    let first = true;
    for (const ch of str) {
      ops.push(ch.codePointAt(0)!, first ? 0 : 1);
      first = false;
    }
    const s = this.s;
    let i = 0;
    let f = true;
    while (i < s.length) {
      const cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      ops.push(cp, f ? 1 : 0);
      f = false;
    }
    this.transform(ops);
  }

  /** Append `str` after the last character (aligned with it); nothing on an empty string. */
  append(str: string): void {
    if (this.s.length === 0 || str.length === 0) return;
    const ops = new Ops();
    const s = this.s;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      ops.push(cp, 0);
    }
    for (const ch of str) ops.push(ch.codePointAt(0)!, 1);
    this.transform(ops);
  }

  /** Replace every match of `matches` (from findMatches) with `content`. */
  replaceMatches(matches: Matches, content: string): void {
    let any = false;
    for (let m = 2; m < matches.length; m += 3) if (matches[m]) any = true;
    if (!any) return;
    const s = this.s;
    const ops = new Ops();
    const contentCps = Array.from(content, (c) => c.codePointAt(0)!);
    for (let m = 0; m < matches.length; m += 3) {
      const a = matches[m]!;
      const b = matches[m + 1]!;
      if (matches[m + 2]) {
        let count = 0;
        for (let i = a; i < b; ) {
          const cp = s.codePointAt(i)!;
          i += cp > 0xffff ? 2 : 1;
          count++;
        }
        ops.skip(count);
        for (const cp of contentCps) ops.push(cp, 1);
      } else {
        for (let i = a; i < b; ) {
          const cp = s.codePointAt(i)!;
          i += cp > 0xffff ? 2 : 1;
          ops.push(cp, 0);
        }
      }
    }
    this.transform(ops);
  }

  /** Remove leading and/or trailing whitespace (`isWs`). */
  strip(left: boolean, right: boolean, isWs: (cp: number) => boolean): void {
    const cps = Array.from(this.s, (c) => c.codePointAt(0)!);
    let lead = 0;
    if (left) while (lead < cps.length && isWs(cps[lead]!)) lead++;
    let trail = 0;
    if (right) while (trail < cps.length - lead && isWs(cps[cps.length - 1 - trail]!)) trail++;
    if (lead === 0 && trail === 0) return;
    const ops = new Ops();
    ops.skip(lead);
    for (let i = lead; i < cps.length - trail; i++) ops.push(cps[i]!, i === cps.length - trail - 1 ? -trail : 0);
    this.transform(ops);
  }

  /** Split on `matches` with a delimiter behaviour; empty pieces are dropped. */
  split(matches: Matches, behavior: SplitBehavior, out: NormalizedString[]): void {
    const res: number[] = []; // start, end, remove triples
    const n = matches.length;
    switch (behavior) {
      case 'isolated':
        for (let m = 0; m < n; m += 3) res.push(matches[m]!, matches[m + 1]!, 0);
        break;
      case 'removed':
        for (let m = 0; m < n; m += 3) res.push(matches[m]!, matches[m + 1]!, matches[m + 2]!);
        break;
      case 'contiguous': {
        let prev = false;
        for (let m = 0; m < n; m += 3) {
          const isM = matches[m + 2] === 1;
          if (isM === prev && res.length > 0) res[res.length - 2] = matches[m + 1]!;
          else res.push(matches[m]!, matches[m + 1]!, 0);
          prev = isM;
        }
        break;
      }
      case 'merged_with_previous': {
        let prev = false;
        for (let m = 0; m < n; m += 3) {
          const isM = matches[m + 2] === 1;
          if (isM && !prev && res.length > 0) res[res.length - 2] = matches[m + 1]!;
          else res.push(matches[m]!, matches[m + 1]!, 0);
          prev = isM;
        }
        break;
      }
      case 'merged_with_next': {
        let prev = false;
        const rev: number[] = [];
        for (let m = n - 3; m >= 0; m -= 3) {
          const isM = matches[m + 2] === 1;
          if (isM && !prev && rev.length > 0) rev[rev.length - 3] = matches[m]!;
          else rev.push(matches[m]!, matches[m + 1]!, 0);
          prev = isM;
        }
        for (let m = rev.length - 3; m >= 0; m -= 3) res.push(rev[m]!, rev[m + 1]!, 0);
        break;
      }
    }
    for (let m = 0; m < res.length; m += 3) {
      if (res[m + 2] || res[m]! >= res[m + 1]!) continue;
      out.push(this.slice(res[m]!, res[m + 1]!));
    }
  }
}

/** Characters that attach to the previous one for normalization chunks. */
function isCombiningLike(cp: number): boolean {
  if (cp < 0x300) return false;
  if (cp >= 0x1160 && cp <= 0x11ff) return true; // Hangul jamo V/T
  return /^[\p{M}]$/u.test(String.fromCodePoint(cp));
}

/** Matches of a global regex: start, end, isMatch triples covering `s` (Hugging Face's find_matches). */
export function regexMatches(s: string, re: RegExp, out: Matches = []): Matches {
  if (s.length === 0) {
    out.push(0, 0, 0);
    return out;
  }
  re.lastIndex = 0;
  let prev = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const a = m.index;
    const b = a + m[0].length;
    if (b === a) {
      // Empty match: record it and step past one character.
      if (prev !== a) out.push(prev, a, 0);
      out.push(a, a, 1);
      prev = a;
      re.lastIndex = a + (s.codePointAt(a)! > 0xffff ? 2 : 1);
      if (a >= s.length) break;
      continue;
    }
    if (prev !== a) out.push(prev, a, 0);
    out.push(a, b, 1);
    prev = b;
  }
  if (prev !== s.length) out.push(prev, s.length, 0);
  return out;
}

/** Matches of a character predicate: every matching character is its own match. */
export function charMatches(s: string, pred: (cp: number) => boolean, out: Matches = []): Matches {
  if (s.length === 0) {
    out.push(0, 0, 0);
    return out;
  }
  let prev = 0;
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    if (pred(cp)) {
      if (prev !== i) out.push(prev, i, 0);
      out.push(i, i + w, 1);
      prev = i + w;
    }
    i += w;
  }
  if (prev !== s.length) out.push(prev, s.length, 0);
  return out;
}

/** Invert the isMatch flags of matches. */
export function invertMatches(m: Matches): Matches {
  for (let i = 2; i < m.length; i += 3) m[i] = m[i] ? 0 : 1;
  return m;
}
