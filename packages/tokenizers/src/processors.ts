/** Post-processors: add special tokens and set type ids (tokenizer.json's `post_processor`). */
import { JsonReader, joinPath } from './errors.js';
import { type Encoding, concatEncodings } from './encoding.js';
import { isWhitespace } from './unicode.js';

/**
 * What a post-processor does to a single sequence when that is only surrounding it with special
 * tokens: the special tokens before and after it (ids, tokens, type ids) and the sequence's type
 * id. The encoder then writes the final arrays directly, without the general merge.
 */
export interface SingleLayout {
  preIds: number[];
  preTokens: string[];
  preTypes: number[];
  postIds: number[];
  postTokens: string[];
  postTypes: number[];
  typeId: number;
}

export interface PostProcessor {
  /** How many tokens `process` adds. */
  addedTokens(isPair: boolean): number;
  /** The layout of a single sequence (see SingleLayout), or null when processList does more. */
  singleLayout?(addSpecialTokens: boolean): SingleLayout | null;
  /** Process already type-id'd encodings (A: 0, B: 1) into one. */
  processList(list: Encoding[], addSpecialTokens: boolean): Encoding[];
  toJSON(): object;
}

function special(ids: number[], tokens: string[], typeId: number): Encoding {
  return {
    ids: ids.slice(),
    tokens: tokens.slice(),
    offsets: ids.map((): [number, number] => [0, 0]),
    typeIds: ids.map(() => typeId),
    attentionMask: ids.map(() => 1),
    specialTokensMask: ids.map(() => 1),
    overflowing: [],
    wordIds: ids.map(() => null),
    sequenceIds: ids.map(() => null),
  };
}

function withType(e: Encoding, typeId: number): Encoding {
  return { ...e, typeIds: new Array<number>(e.ids.length).fill(typeId) };
}

/** Trim leading/trailing spaces (and Ġ) from offsets, as Hugging Face's ByteLevel process_offsets. */
export function trimByteLevelOffsets(e: Encoding, addPrefixSpace: boolean): void {
  for (let i = 0; i < e.ids.length; i++) {
    const tok = e.tokens[i]!;
    if (tok.length === 0) continue;
    // Most tokens neither start nor end with a space (no astral character is whitespace, so
    // looking at the first and last code units is enough).
    const first = tok.charCodeAt(0);
    const last = tok.charCodeAt(tok.length - 1);
    if (first !== 0x120 && last !== 0x120 && !isWhitespace(first) && !isWhitespace(last)) continue;
    const off = e.offsets[i]!;
    const cps = Array.from(tok, (c) => c.codePointAt(0)!);
    const sp = (c: number) => c === 0x120 || isWhitespace(c);
    let lead = 0;
    while (lead < cps.length && sp(cps[lead]!)) lead++;
    let trail = 0;
    while (trail < cps.length && sp(cps[cps.length - 1 - trail]!)) trail++;
    if (lead === 0 && trail === 0) continue;
    if (lead > 0) {
      const isFirst = i === 0 || off[0] === 0;
      if (isFirst && addPrefixSpace && lead === 1) lead = 0;
      off[0] = Math.min(off[0] + lead, off[1]);
    }
    if (trail > 0 && off[1] >= trail) off[1] = Math.max(off[1] - trail, off[0]);
  }
  for (const o of e.overflowing) trimByteLevelOffsets(o, addPrefixSpace);
}

type Piece = { kind: 'seq'; id: 'A' | 'B'; typeId: number } | { kind: 'special'; id: string; typeId: number };

class TemplateProcessing implements PostProcessor {
  constructor(
    readonly single: Piece[],
    readonly pair: Piece[],
    readonly specials: Map<string, { ids: number[]; tokens: string[] }>,
  ) {}
  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const p of isPair ? this.pair : this.single) if (p.kind === 'special') n += this.specials.get(p.id)!.ids.length;
    return n;
  }
  private layouts: [SingleLayout | null, SingleLayout | null] | null = null;
  singleLayout(add: boolean): SingleLayout | null {
    if (!this.layouts) this.layouts = [this.makeLayout(false), this.makeLayout(true)];
    return this.layouts[add ? 1 : 0];
  }
  private makeLayout(add: boolean): SingleLayout | null {
    // What processList gives for [A]: the special pieces (when adding them) around the one A piece.
    const l: SingleLayout = { preIds: [], preTokens: [], preTypes: [], postIds: [], postTokens: [], postTypes: [], typeId: 0 };
    let seen = 0;
    for (const p of this.single) {
      if (p.kind === 'seq') {
        if (p.id !== 'A') continue; // B is absent for a single sequence
        seen++;
        l.typeId = p.typeId;
      } else if (add) {
        const s = this.specials.get(p.id)!;
        const ids = seen ? l.postIds : l.preIds;
        const tokens = seen ? l.postTokens : l.preTokens;
        const types = seen ? l.postTypes : l.preTypes;
        for (let k = 0; k < s.ids.length; k++) {
          ids.push(s.ids[k]!);
          tokens.push(s.tokens[k]!);
          types.push(p.typeId);
        }
      }
    }
    return seen === 1 ? l : null;
  }
  processList(list: Encoding[], add: boolean): Encoding[] {
    const tpl = list.length > 1 ? this.pair : this.single;
    const out: Encoding[] = [];
    for (const p of tpl) {
      if (p.kind === 'seq') {
        const e = list[p.id === 'A' ? 0 : 1];
        if (e) out.push(withType(e, p.typeId));
      } else if (add) {
        const s = this.specials.get(p.id)!;
        out.push(special(s.ids, s.tokens, p.typeId));
      }
    }
    return out;
  }
  toJSON(): object {
    const piece = (p: Piece) =>
      p.kind === 'seq' ? { Sequence: { id: p.id, type_id: p.typeId } } : { SpecialToken: { id: p.id, type_id: p.typeId } };
    const specials: Record<string, object> = {};
    for (const [k, v] of this.specials) specials[k] = { id: k, ids: v.ids, tokens: v.tokens };
    return { type: 'TemplateProcessing', single: this.single.map(piece), pair: this.pair.map(piece), special_tokens: specials };
  }
}

class BertProcessing implements PostProcessor {
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
  ) {}
  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }
  singleLayout(add: boolean): SingleLayout {
    return add
      ? { preIds: [this.cls[1]], preTokens: [this.cls[0]], preTypes: [0], postIds: [this.sep[1]], postTokens: [this.sep[0]], postTypes: [0], typeId: 0 }
      : { preIds: [], preTokens: [], preTypes: [], postIds: [], postTokens: [], postTypes: [], typeId: 0 };
  }
  processList(list: Encoding[], add: boolean): Encoding[] {
    if (!add) return list;
    const [a, b] = list;
    const out = [special([this.cls[1]], [this.cls[0]], 0), withType(a!, 0), special([this.sep[1]], [this.sep[0]], 0)];
    if (b) out.push(withType(b, 1), special([this.sep[1]], [this.sep[0]], 1));
    return out;
  }
  toJSON(): object {
    return { type: 'BertProcessing', sep: this.sep, cls: this.cls };
  }
}

class RobertaProcessing implements PostProcessor {
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
    readonly trimOffsets: boolean,
    readonly addPrefixSpace: boolean,
  ) {}
  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }
  processList(list: Encoding[], add: boolean): Encoding[] {
    if (this.trimOffsets) for (const e of list) trimByteLevelOffsets(e, this.addPrefixSpace);
    if (!add) return list;
    const [a, b] = list;
    const sep = () => special([this.sep[1]], [this.sep[0]], 0);
    const out = [special([this.cls[1]], [this.cls[0]], 0), withType(a!, 0), sep()];
    if (b) out.push(sep(), withType(b, 0), sep());
    return out;
  }
  toJSON(): object {
    return { type: 'RobertaProcessing', sep: this.sep, cls: this.cls, trim_offsets: this.trimOffsets, add_prefix_space: this.addPrefixSpace };
  }
}

class ByteLevelProcessing implements PostProcessor {
  constructor(
    readonly addPrefixSpace: boolean,
    readonly trimOffsets: boolean,
    readonly useRegex: boolean,
  ) {}
  addedTokens(): number {
    return 0;
  }
  processList(list: Encoding[]): Encoding[] {
    if (this.trimOffsets) for (const e of list) trimByteLevelOffsets(e, this.addPrefixSpace);
    return list;
  }
  toJSON(): object {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

class SequenceProcessing implements PostProcessor {
  constructor(readonly processors: PostProcessor[]) {}
  addedTokens(isPair: boolean): number {
    return this.processors.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }
  processList(list: Encoding[], add: boolean): Encoding[] {
    for (const p of this.processors) list = p.processList(list, add);
    return list;
  }
  toJSON(): object {
    return { type: 'Sequence', processors: this.processors.map((p) => p.toJSON()) };
  }
}

/** Run the processor on A (and B), merging, with overflowing parts processed the same way. */
export function postProcess(proc: PostProcessor | null, a: Encoding, b: Encoding | null, add: boolean): Encoding {
  const run = (x: Encoding, y: Encoding | null): Encoding => {
    const xs = { ...x, overflowing: [] };
    const ys = y ? { ...y, overflowing: [] } : null;
    xs.sequenceIds = new Array<number>(xs.ids.length).fill(0);
    if (ys) ys.sequenceIds = new Array<number>(ys.ids.length).fill(1);
    if (!proc) return concatEncodings(ys ? [xs, ys] : [xs]);
    xs.typeIds = new Array<number>(xs.ids.length).fill(0);
    if (ys) ys.typeIds = new Array<number>(ys.ids.length).fill(1);
    return concatEncodings(proc.processList(ys ? [xs, ys] : [xs], add));
  };
  const main = run(a, b);
  const over: Encoding[] = [];
  for (const oa of a.overflowing) {
    over.push(run(oa, b));
    if (b) for (const ob of b.overflowing) over.push(run(oa, ob));
  }
  if (b) for (const ob of b.overflowing) over.push(run(a, ob));
  main.overflowing = over;
  return main;
}

const TYPES = ['TemplateProcessing', 'BertProcessing', 'RobertaProcessing', 'ByteLevel', 'Sequence'] as const;

function parseTokenPair(r: JsonReader, v: unknown, path: string): [string, number] {
  const a = r.arr(v, path);
  if (a.length !== 2) r.fail(path, `expected [token, id], got an array of ${a.length}`);
  return [r.str(a[0], joinPath(path, 0)), r.uint(a[1], joinPath(path, 1))];
}

function parseTemplate(r: JsonReader, v: unknown, path: string): Piece[] {
  if (typeof v === 'string') {
    // "[CLS] $A [SEP]" / "$B:1" / "[SEP]:1"
    return v
      .split(/\s+/)
      .filter((x) => x)
      .map((w): Piece => {
        const m = /^(.*?)(?::(\d+))?$/.exec(w)!;
        const typeId = m[2] ? Number(m[2]) : 0;
        const name = m[1]!;
        if (name === '$' || name === '$A') return { kind: 'seq', id: 'A', typeId };
        if (name === '$B') return { kind: 'seq', id: 'B', typeId };
        if (/^\$\d+$/.test(name)) return { kind: 'seq', id: 'A', typeId: Number(name.slice(1)) };
        return { kind: 'special', id: name, typeId };
      });
  }
  const list = r.arr(v, path);
  return list.map((x, i): Piece => {
    const pp = joinPath(path, i);
    const o = r.obj(x, pp);
    if ('Sequence' in o) {
      const s = r.obj(o.Sequence, joinPath(pp, 'Sequence'));
      const id = r.oneOf(s.id, joinPath(joinPath(pp, 'Sequence'), 'id'), ['A', 'B'] as const);
      return { kind: 'seq', id, typeId: r.uint(s.type_id ?? 0, joinPath(joinPath(pp, 'Sequence'), 'type_id')) };
    }
    if ('SpecialToken' in o) {
      const s = r.obj(o.SpecialToken, joinPath(pp, 'SpecialToken'));
      return {
        kind: 'special',
        id: r.str(s.id, joinPath(joinPath(pp, 'SpecialToken'), 'id')),
        typeId: r.uint(s.type_id ?? 0, joinPath(joinPath(pp, 'SpecialToken'), 'type_id')),
      };
    }
    return r.fail(pp, 'expected {"Sequence": ...} or {"SpecialToken": ...}');
  });
}

/** Build a post-processor from its JSON (null: none). */
export function parsePostProcessor(r: JsonReader, v: unknown, path: string): PostProcessor | null {
  if (v === null || v === undefined) return null;
  const o = r.obj(v, path);
  const t = r.type(o, path, 'post-processor', TYPES);
  switch (t) {
    case 'TemplateProcessing': {
      const sp = joinPath(path, 'special_tokens');
      const specials = new Map<string, { ids: number[]; tokens: string[] }>();
      const so = r.obj(o.special_tokens ?? {}, sp);
      for (const k of Object.keys(so)) {
        const kp = joinPath(sp, k);
        const e = r.obj(so[k], kp);
        const ids = r.arr(e.ids, joinPath(kp, 'ids')).map((x, i) => r.uint(x, joinPath(joinPath(kp, 'ids'), i)));
        const tokens = r.arr(e.tokens, joinPath(kp, 'tokens')).map((x, i) => r.str(x, joinPath(joinPath(kp, 'tokens'), i)));
        if (ids.length !== tokens.length) r.fail(kp, `ids (${ids.length}) and tokens (${tokens.length}) differ in length`);
        specials.set(r.str(e.id ?? k, joinPath(kp, 'id')), { ids, tokens });
      }
      const single = parseTemplate(r, o.single, joinPath(path, 'single'));
      const pair = parseTemplate(r, o.pair ?? o.single, joinPath(path, 'pair'));
      for (const [name, tpl] of [
        ['single', single],
        ['pair', pair],
      ] as const) {
        tpl.forEach((p, i) => {
          if (p.kind === 'special' && !specials.has(p.id)) {
            r.fail(joinPath(joinPath(path, name), i), `special token ${JSON.stringify(p.id)} is missing from special_tokens`);
          }
        });
      }
      return new TemplateProcessing(single, pair, specials);
    }
    case 'BertProcessing':
      return new BertProcessing(parseTokenPair(r, o.sep, joinPath(path, 'sep')), parseTokenPair(r, o.cls, joinPath(path, 'cls')));
    case 'RobertaProcessing':
      return new RobertaProcessing(
        parseTokenPair(r, o.sep, joinPath(path, 'sep')),
        parseTokenPair(r, o.cls, joinPath(path, 'cls')),
        r.optBool(o, 'trim_offsets', path, true),
        r.optBool(o, 'add_prefix_space', path, true),
      );
    case 'ByteLevel':
      return new ByteLevelProcessing(
        r.optBool(o, 'add_prefix_space', path, true),
        r.optBool(o, 'trim_offsets', path, true),
        r.optBool(o, 'use_regex', path, true),
      );
    case 'Sequence': {
      const p = joinPath(path, 'processors');
      return new SequenceProcessing(
        r
          .arr(o.processors, p)
          .map((x, i) => parsePostProcessor(r, x, joinPath(p, i)))
          .filter((x): x is PostProcessor => x !== null),
      );
    }
  }
  return r.fail(path, 'unreachable');
}
