/**
 * The fused BERT path: BertNormalizer, BertPreTokenizer and WordPiece in one scan of the raw
 * text. Each character's normalized form is found once (by running the normalizer itself on the
 * character alone) and kept in a table: a "simple" character normalizes to one code unit, alone
 * and in any context (so not a mark, a CJK ideograph, a surrogate or a removed control), and then
 * classes as a space, a punctuation mark or a word character. Words are looked up in the
 * vocabulary by their characters' normalized codes, with no substring; offsets are the word's
 * own positions, since a simple character keeps its one-unit span.
 *
 * Every BertNormalizer step works character by character (NFD only reorders marks, which are not
 * simple), so text between two spaces normalizes and splits the same on its own as within the
 * whole text: a stretch holding any other character goes, whole, through the general path.
 */
import type { EncodingBuilder } from './encoding.js';
import type { Model, VocabTable, WordPiece as WordPieceModel } from './models.js';
import { HASH_PRIME, HASH_SEED, WordPiece } from './models.js';
import { NormalizedString } from './normalized.js';
import { BertNormalizer, type Normalizer } from './normalizers.js';
import { BertPreTokenizer, type PreTokenizer } from './pretokenizers.js';
import { isBertPunctuation, isWhitespace } from './unicode.js';

const WORD = 1;
const PUNCT = 2;
const SPACE = 3;
const COMPLEX = 4;
const MARK = /^\p{M}$/u;

export class BertFastPath {
  /** Class of each BMP code unit (0 until first seen). */
  private readonly cls = new Uint8Array(65536);
  /** Its normalized code unit (for WORD and PUNCT). */
  private readonly map = new Uint16Array(65536);
  private readonly table: VocabTable;
  private readonly maxChars: number;

  private constructor(
    private readonly normalizer: BertNormalizer,
    private readonly model: WordPieceModel,
  ) {
    this.table = model.vocabTable;
    this.maxChars = model.maxInputCharsPerWord;
  }

  /** The fast path for this pipeline, or null when it is not BertNormalizer + BertPreTokenizer + WordPiece. */
  static for(normalizer: Normalizer | null, pre: PreTokenizer | null, model: Model): BertFastPath | null {
    if (!(normalizer instanceof BertNormalizer) || !(pre instanceof BertPreTokenizer) || !(model instanceof WordPiece)) return null;
    return new BertFastPath(normalizer, model);
  }

  private classify(c: number): number {
    let k = COMPLEX;
    let m = c;
    const ch = String.fromCharCode(c);
    if (!(c >= 0xd800 && c < 0xe000) && !MARK.test(ch)) {
      const ns = NormalizedString.from(ch);
      this.normalizer.normalize(ns);
      if (ns.s.length === 1) {
        const d = ns.s.charCodeAt(0);
        if (!(d >= 0xd800 && d < 0xe000)) {
          k = isWhitespace(d) ? SPACE : isBertPunctuation(d) ? PUNCT : WORD;
          m = d;
        }
      }
    }
    this.cls[c] = k;
    this.map[c] = m;
    return k;
  }

  /**
   * Append the tokens of text[a, b) (a stretch without added tokens) to `out`; `general(a, b)`
   * encodes a stretch the general way.
   */
  encode(text: string, a: number, b: number, out: EncodingBuilder, general: (a: number, b: number) => void): void {
    const cls = this.cls;
    const map = this.map;
    let i = a;
    while (i < b) {
      let c = text.charCodeAt(i);
      let k = cls[c]! || this.classify(c);
      if (k === SPACE) {
        i++;
        continue;
      }
      // A stretch up to the next space.
      const start = i;
      const n0 = out.ids.length;
      const w0 = out.word;
      while (k !== SPACE && k !== COMPLEX) {
        if (k === PUNCT) {
          this.word(text, i, i + 1, Math.imul(HASH_SEED ^ map[c]!, HASH_PRIME), out);
          if (++i >= b) break;
          c = text.charCodeAt(i);
          k = cls[c]! || this.classify(c);
          continue;
        }
        const ws = i;
        let h = HASH_SEED;
        do {
          h = Math.imul(h ^ map[c]!, HASH_PRIME);
          if (++i >= b) break;
          c = text.charCodeAt(i);
          k = cls[c]! || this.classify(c);
        } while (k === WORD);
        this.word(text, ws, i, h, out);
        if (i >= b) break;
      }
      if (k === COMPLEX && i < b) {
        // Undo the stretch and encode it the general way, up to the next space.
        let e = i + 1;
        while (e < b) {
          c = text.charCodeAt(e);
          if ((cls[c]! || this.classify(c)) === SPACE) break;
          e++;
        }
        out.ids.length = n0;
        out.tokens.length = n0;
        out.offsets.length = n0;
        out.wordIds.length = n0;
        out.word = w0;
        general(start, e);
        i = e;
      }
    }
  }

  /** One word, text[s, e) of simple characters (hash h of their normalized codes). */
  private word(text: string, s: number, e: number, h: number, out: EncodingBuilder): void {
    const wid = out.word++;
    if (e - s <= this.maxChars) {
      const slot = this.table.findMapped(text, s, e, h, this.map);
      if (slot >= 0) {
        // The whole word is in the vocabulary: one token.
        out.ids.push(this.table.id(slot));
        out.tokens.push(this.table.key(slot));
        out.offsets.push([s, e]);
        out.wordIds.push(wid);
        return;
      }
    }
    const c = this.model.encodeWord(this.normalized(text, s, e));
    for (let k = 0; k < c.ids.length; k++) {
      out.ids.push(c.ids[k]!);
      out.tokens.push(c.tokens[k]!);
      out.offsets.push([s + c.starts[k]!, s + c.ends[k]!]);
      out.wordIds.push(wid);
    }
  }

  /** The normalized text of text[s, e) (simple characters). */
  private normalized(text: string, s: number, e: number): string {
    const map = this.map;
    let p = s;
    while (p < e && map[text.charCodeAt(p)] === text.charCodeAt(p)) p++;
    if (p === e) return text.slice(s, e);
    let out = text.slice(s, p);
    for (; p < e; p++) out += String.fromCharCode(map[text.charCodeAt(p)]!);
    return out;
  }
}
