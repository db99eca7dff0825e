/**
 * SentencePiece's precompiled normalization charsmap (the `Precompiled` normalizer): a blob of
 * `u32 trie_size | double-array trie (trie_size bytes, little-endian u32 units) | normalized
 * strings (NUL-terminated UTF-8)`. The trie maps UTF-8 keys to offsets of replacement strings.
 * Lookup and the per-grapheme replacement follow Hugging Face's `Precompiled` exactly.
 */
import { TokenizerError } from './errors.js';
import { NormalizedString, Ops } from './normalized.js';

function decodeBase64(b64: string): Uint8Array {
  if (typeof atob === 'function') {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  throw new Error('no base64 decoder available');
}

const utf8 = new TextEncoder();
const utf8dec = new TextDecoder('utf-8', { ignoreBOM: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  /** Replacement for each ASCII character that the trie maps (null: unchanged). */
  private readonly ascii: (string | null)[] = [];
  private readonly cache = new Map<string, string | null>();

  constructor(base64: string, file: string, path: string) {
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(base64);
    } catch (e) {
      throw new TokenizerError(`invalid base64: ${(e as Error).message}`, file, path);
    }
    if (bytes.length < 4) throw new TokenizerError(`charsmap too short (${bytes.length} bytes)`, file, path);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = dv.getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length || trieSize === 0) {
      throw new TokenizerError(`charsmap trie size ${trieSize} does not fit the ${bytes.length}-byte blob`, file, path);
    }
    const n = trieSize / 4;
    this.units = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.units[i] = dv.getUint32(4 + 4 * i, true);
    this.normalized = bytes.subarray(4 + trieSize);
    for (let c = 0; c < 128; c++) this.ascii.push(c === 0 ? null : this.transform(String.fromCharCode(c)));
  }

  /** Values of every key that is a prefix of `key` (shortest first), as in spm_precompiled. */
  private firstPrefixValue(key: Uint8Array): number {
    const a = this.units;
    const n = a.length;
    let pos = 0;
    let unit = a[0]!;
    pos ^= offsetOf(unit);
    for (let i = 0; i < key.length; i++) {
      const c = key[i]!;
      if (c === 0) break;
      pos ^= c;
      if (pos >= n) return -1;
      unit = a[pos]!;
      if ((unit & 0x800000ff) >>> 0 !== c) return -1;
      pos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        if (pos >= n) return -1;
        return a[pos]! & 0x7fffffff;
      }
    }
    return -1;
  }

  /** The replacement of `chunk` (Hugging Face's Precompiled::transform), or null. */
  transform(chunk: string): string | null {
    if (chunk.length === 1) {
      const c = chunk.charCodeAt(0);
      if (c < 128 && this.ascii.length === 128) return this.ascii[c]!;
    }
    const hit = this.cache.get(chunk);
    if (hit !== undefined) return hit;
    const v = this.firstPrefixValue(utf8.encode(chunk));
    let res: string | null = null;
    if (v >= 0 && v < this.normalized.length) {
      let end = v;
      while (end < this.normalized.length && this.normalized[end] !== 0) end++;
      res = utf8dec.decode(this.normalized.subarray(v, end));
    }
    if (this.cache.size < 65536) this.cache.set(chunk, res);
    return res;
  }

  /** Normalize in place, grapheme by grapheme. */
  normalize(ns: NormalizedString): void {
    if (this.normalizeOneForOne(ns)) return;
    const ops = new Ops();
    let modified = false;
    this.eachGrapheme(ns.s, (g) => {
      if (utf8Length(g) < 6) {
        const norm = this.transform(g);
        if (norm !== null) {
          modified = true;
          replace(ops, g, norm);
          return true;
        }
      }
      for (const ch of g) {
        const norm = g.length === ch.length ? null : this.transform(ch);
        if (norm !== null) {
          modified = true;
          replace(ops, ch, norm);
        } else ops.push(ch.codePointAt(0)!, 0);
      }
      return true;
    });
    if (modified) ns.transform(ops);
  }

  /**
   * Hand each grapheme of `s` and its position to `f`, in order, while f returns true. A character
   * between two certain grapheme boundaries is its own grapheme; only the other stretches go
   * through Intl.Segmenter (slow, and quadratic on long strings in V8).
   */
  private eachGrapheme(s: string, f: (g: string, at: number) => boolean): void {
    const n = s.length;
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && !safeBoundary(s, j)) j++;
      if (j === i + 1) {
        if (!f(s[i]!, i)) return;
      } else {
        for (const sg of segmenter().segment(s.slice(i, j))) if (!f(sg.segment, i + sg.index)) return;
      }
      i = j;
    }
  }

  /**
   * When every change normalize would make replaces one code unit by one code unit (or there is
   * none), it changes only the text (replace's one-for-one case: the alignments stay): done
   * here, returning true. Otherwise returns false, doing nothing.
   */
  private normalizeOneForOne(ns: NormalizedString): boolean {
    if (this.normalizeAscii(ns)) return true;
    const s = ns.s;
    const at: number[] = [];
    const to: string[] = [];
    let ok = true;
    const edit = (pos: number, g: string, norm: string): void => {
      if (g.length !== 1 || norm.length !== 1) ok = false;
      else if (norm !== g) {
        at.push(pos);
        to.push(norm);
      }
    };
    // The same walk as normalize's, recording the replacements instead of operations.
    this.eachGrapheme(s, (g, pos) => {
      if (utf8Length(g) < 6) {
        const norm = this.transform(g);
        if (norm !== null) {
          edit(pos, g, norm);
          return ok;
        }
      }
      let p = pos;
      for (const ch of g) {
        const norm = g.length === ch.length ? null : this.transform(ch);
        if (norm !== null) edit(p, ch, norm);
        p += ch.length;
      }
      return ok;
    });
    if (!ok) return false;
    if (at.length === 0) return true;
    let out = '';
    let run = 0;
    for (let k = 0; k < at.length; k++) {
      out += s.slice(run, at[k]) + to[k]!;
      run = at[k]! + 1;
    }
    ns.setText(out + s.slice(run));
    return true;
  }

  /**
   * Text of characters that are each their own grapheme (simpleUnit, no CR) and that the map
   * leaves alone or replaces by one code unit: the same result as below, one for one, so the
   * alignments stay. Returns false (doing nothing) for any other text.
   */
  private normalizeAscii(ns: NormalizedString): boolean {
    const s = ns.s;
    if (this.ascii.length !== 128) return false;
    let changed = false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 13 || !simpleUnit(c)) return false;
      const r = c < 128 ? this.ascii[c] : this.transform(s[i]!);
      if (r === null || r === undefined) continue;
      if (r.length !== 1) return false;
      if (r.charCodeAt(0) !== c) changed = true;
    }
    if (!changed) return true;
    let out = '';
    let run = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const r = c < 128 ? this.ascii[c] : this.transform(s[i]!);
      if (r === null || r === undefined) continue;
      out += s.slice(run, i) + r;
      run = i + 1;
    }
    ns.setText(out + s.slice(run));
    return true;
  }

  private s(ns: NormalizedString): string {
    return ns.s;
  }
}

let seg: Intl.Segmenter | undefined;
function segmenter(): Intl.Segmenter {
  if (!seg) seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return seg;
}

/** Characters that never join a neighbour into one grapheme (CR aside, handled by safeBoundary). */
function simpleUnit(c: number): boolean {
  return (
    c < 0x300 ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x2010 && c <= 0x2027) ||
    (c >= 0x2030 && c <= 0x205e) ||
    (c >= 0x3000 && c <= 0x3029)
  );
}

/** Whether a grapheme boundary certainly falls before s[i]. */
function safeBoundary(s: string, i: number): boolean {
  const a = s.charCodeAt(i - 1);
  const b = s.charCodeAt(i);
  return simpleUnit(a) && simpleUnit(b) && !(a === 13 && b === 10);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

/** Hugging Face's `replace` helper: new chars change 0; extra ones 1; fewer: the last one absorbs. */
function replace(ops: Ops, oldPart: string, newPart: string): void {
  let oldCount = 0;
  for (const _ of oldPart) oldCount++;
  const start = ops.length;
  for (const ch of newPart) ops.push(ch.codePointAt(0)!, 0);
  const newCount = ops.length - start;
  const diff = newCount - oldCount;
  if (diff > 0) {
    for (let k = 0; k < diff; k++) ops.chg[ops.length - 1 - k] = 1;
  } else if (diff < 0) {
    // As in Hugging Face: the last character emitted so far absorbs the removal.
    if (ops.length > 0) ops.chg[ops.length - 1]! += diff;
  }
}
