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

/**
 * The original text a NormalizedString was made from, while its alignments are still the
 * identity: unit i of the string is unit `base + i` of `text`, and a surrogate pair of `text`
 * (within [lo, hi)) maps both its units to the pair's span, as `NormalizedString.from` defines.
 * Most text never needs a per-unit alignment array (no normalizer, or one that maps characters
 * one for one), so it is built only when a transform changes lengths.
 */
interface Root {
  text: string;
  lo: number;
  hi: number;
}

const isHigh = (c: number) => c >= 0xd800 && c < 0xdc00;
const isLow = (c: number) => c >= 0xdc00 && c < 0xe000;

/** Original start of unit j of an identity-aligned root (a paired low surrogate starts at its high one). */
function rootStart(r: Root, j: number): number {
  return j > r.lo && isLow(r.text.charCodeAt(j)) && isHigh(r.text.charCodeAt(j - 1)) ? j - 1 : j;
}

/** Original end of unit j of an identity-aligned root (a paired high surrogate ends after its low one). */
function rootEnd(r: Root, j: number): number {
  if (isHigh(r.text.charCodeAt(j)) && j + 1 < r.hi && isLow(r.text.charCodeAt(j + 1))) return j + 2;
  if (j > r.lo && isLow(r.text.charCodeAt(j)) && isHigh(r.text.charCodeAt(j - 1))) return j + 1;
  return j + 1;
}

export class NormalizedString {
  /**
   * Alignments: unit i of `s` came from original [al[2(ao+i)], al[2(ao+i)+1]). Null while the
   * alignment is the identity of `root` (then unit i is root unit `ao + i`). Slices share the
   * parent's array with an offset rather than a subarray view (cheaper to create).
   */
  private al: Int32Array | null;
  private ao: number;
  private root: Root | null;

  constructor(
    /** The normalized text. */
    public s: string,
    /** Two entries per code unit of `s`: original start, original end. */
    align: Int32Array | null,
    /** Start of the original span this string covers. */
    public origStart: number,
    /** End of the original span this string covers. */
    public origEnd: number,
  ) {
    this.al = align;
    this.ao = 0;
    this.root = null;
  }

  /** A fresh NormalizedString for text[start, end): every unit aligned to its character. */
  static from(text: string, start = 0, end = text.length): NormalizedString {
    const ns = new NormalizedString(start === 0 && end === text.length ? text : text.slice(start, end), null, start, end);
    ns.root = { text, lo: start, hi: end };
    ns.ao = start;
    return ns;
  }

  /** A copy sharing the alignment (for stages that must not modify their input). */
  clone(): NormalizedString {
    return this.withString(this.s);
  }

  /** A copy with text `s`, which has one code unit per unit of this string (same alignments). */
  withString(s: string): NormalizedString {
    const ns = new NormalizedString(s, this.al, this.origStart, this.origEnd);
    ns.ao = this.ao;
    ns.root = this.root;
    return ns;
  }

  /** Replace the text by `s`, which maps one for one, unit for unit (the alignments stay). */
  setText(s: string): void {
    if (s.length !== this.s.length) throw new Error('NormalizedString.setText: the length changed');
    this.s = s;
  }

  /** Two entries per code unit of `s`: original start, original end (built on first use). */
  get align(): Int32Array {
    const n = this.s.length;
    if (this.al === null) {
      const r = this.root!;
      const a = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const j = this.ao + i;
        a[2 * i] = rootStart(r, j);
        a[2 * i + 1] = rootEnd(r, j);
      }
      this.al = a;
      this.ao = 0;
      this.root = null;
    } else if (this.ao !== 0 || this.al.length !== 2 * n) {
      this.al = this.al.slice(2 * this.ao, 2 * (this.ao + n));
      this.ao = 0;
    }
    return this.al;
  }

  get length(): number {
    return this.s.length;
  }

  /** Original start of unit i (i < length). */
  private startOf(i: number): number {
    return this.al === null ? rootStart(this.root!, this.ao + i) : this.al[2 * (this.ao + i)]!;
  }

  /** Original end of unit i (i < length). */
  private endOf(i: number): number {
    return this.al === null ? rootEnd(this.root!, this.ao + i) : this.al[2 * (this.ao + i) + 1]!;
  }

  /** The original span of normalized range [a, b) (Hugging Face's convert_offsets). */
  originalRange(a: number, b: number): [number, number] {
    if (a >= b || this.s.length === 0) return [this.origStart + a, this.origStart + b];
    if (b > this.s.length) b = this.s.length;
    return [this.startOf(a), this.endOf(b - 1)];
  }

  /** The sub-string for normalized range [a, b). */
  slice(a: number, b: number): NormalizedString {
    if (a === 0 && b === this.s.length) return this;
    const os = a < b ? this.startOf(a) : this.origStart;
    const oe = a < b ? this.endOf(b - 1) : this.origStart;
    const ns = new NormalizedString(this.s.slice(a, b), this.al, os, oe);
    ns.ao = this.ao + a;
    ns.root = this.root;
    return ns;
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
    this.al = na;
    this.ao = 0;
    this.root = null;
  }

  /** Keep only the characters for which `keep` is true. */
  filter(keep: (cp: number) => boolean): void {
    const s = this.s;
    // Usually nothing is removed: then the string and its alignments stay as they are.
    let first = -1;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      if (!keep(cp)) {
        first = i;
        break;
      }
      i += cp > 0xffff ? 2 : 1;
    }
    if (first < 0) return;
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
    // A map that keeps every character's UTF-16 length keeps the alignments: only the text changes.
    let out = '';
    let same = true;
    let changed = false;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const m = f(cp);
      if (m !== cp) {
        changed = true;
        if ((m > 0xffff ? 2 : 1) !== w) {
          same = false;
          break;
        }
      }
      out += String.fromCodePoint(m);
      i += w;
    }
    if (!changed) return;
    if (same) {
      this.s = out;
      return;
    }
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
    const lower = s.toLowerCase();
    if (lower === s) return;
    // ASCII lowercases one for one (and String#toLowerCase's context rules, e.g. final sigma,
    // concern non-ASCII only): the alignments stay.
    if (isAscii(s)) {
      this.s = lower;
      return;
    }
    // Otherwise character by character (as below); when every character keeps its UTF-16
    // length (all but a few, e.g. U+0130), the alignments stay too.
    let out = '';
    let run = 0;
    let oneForOne = true;
    for (let i = 0; i < s.length; ) {
      const c = s.charCodeAt(i);
      if (c < 128) {
        i++;
        continue;
      }
      const w = c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      const l = s.slice(i, i + w).toLowerCase();
      if (l.length !== w) {
        oneForOne = false;
        break;
      }
      out += s.slice(run, i).toLowerCase() + l;
      i += w;
      run = i;
    }
    if (oneForOne) {
      this.s = out + s.slice(run).toLowerCase();
      return;
    }
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
    // What transform does with (first char of str, 0), (rest, 1), (first char, 1), (rest, 0):
    // every unit of `str` takes the first unit's span, the others keep theirs.
    const n = this.s.length;
    const k = str.length;
    const al = this.align;
    const na = new Int32Array(2 * (n + k));
    for (let i = 0; i < k; i++) {
      na[2 * i] = al[0]!;
      na[2 * i + 1] = al[1]!;
    }
    na.set(al, 2 * k);
    this.s = str + this.s;
    this.al = na;
  }

  /** Append `str` after the last character (aligned with it); nothing on an empty string. */
  append(str: string): void {
    if (this.s.length === 0 || str.length === 0) return;
    // Every unit of `str` takes the last unit's span (transform's insertions, change 1).
    const n = this.s.length;
    const k = str.length;
    const al = this.align;
    const na = new Int32Array(2 * (n + k));
    na.set(al);
    for (let i = n; i < n + k; i++) {
      na[2 * i] = al[2 * n - 2]!;
      na[2 * i + 1] = al[2 * n - 1]!;
    }
    this.s = this.s + str;
    this.al = na;
  }

  /** Replace every match of `matches` (from findMatches) with `content`. */
  replaceMatches(matches: Matches, content: string): void {
    let any = false;
    for (let m = 2; m < matches.length; m += 3) if (matches[m]) any = true;
    if (!any) return;
    const s = this.s;
    if (content.length === 1) {
      // One code unit replacing one code unit (Metaspace's " " -> "▁"): the replacement takes the
      // replaced unit's span, as below, so only the text changes.
      let oneForOne = true;
      for (let m = 2; m < matches.length; m += 3) {
        if (matches[m] && matches[m - 1]! - matches[m - 2]! !== 1) {
          oneForOne = false;
          break;
        }
      }
      if (oneForOne) {
        let out = '';
        let prev = 0;
        for (let m = 2; m < matches.length; m += 3) {
          if (!matches[m]) continue;
          out += s.slice(prev, matches[m - 2]!) + content;
          prev = matches[m - 1]!;
        }
        this.s = out + s.slice(prev);
        return;
      }
    }
    // Built directly (what transform gives for: kept characters (cp, 0); a match: skip its
    // characters, then insert each character of `content` (change 1), so every unit of the
    // replacement takes the span of the unit before it: the match's last unit, or for an empty
    // match the preceding unit, or at the very start the original start).
    let len = 0;
    for (let m = 0; m < matches.length; m += 3) len += matches[m + 2] ? content.length : matches[m + 1]! - matches[m]!;
    const al = this.align;
    const na = new Int32Array(2 * len);
    const parts: string[] = [];
    let k = 0;
    for (let m = 0; m < matches.length; m += 3) {
      const a = matches[m]!;
      const b = matches[m + 1]!;
      if (matches[m + 2]) {
        if (content.length === 0) continue;
        parts.push(content);
        const as = b > 0 ? al[2 * b - 2]! : this.origStart;
        const ae = b > 0 ? al[2 * b - 1]! : this.origStart;
        for (let u = 0; u < content.length; u++) {
          na[k++] = as;
          na[k++] = ae;
        }
      } else {
        parts.push(s.slice(a, b));
        na.set(al.subarray(2 * a, 2 * b), k);
        k += 2 * (b - a);
      }
    }
    this.s = parts.join('');
    this.al = na;
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

/** Whether every code unit of `s` is ASCII. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
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
