/** Decoders: turn tokens back into text (tokenizer.json's `decoder`). */
import { CHAR_TO_BYTE } from './bytelevel.js';
import { JsonReader, joinPath } from './errors.js';
import { type PatternSpec, parsePattern } from './normalizers.js';
import { type PrependScheme, parsePrependScheme } from './pretokenizers.js';

export interface Decoder {
  decodeChain(tokens: string[]): string[];
  toJSON(): object;
}

const utf8dec = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8enc = new TextEncoder();

/** Python transformers' clean_up_tokenization: no space before punctuation and contractions. */
export function cleanUpTokenization(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/**
 * WordPiece's clean-up (per token): the same, plus " do not" -> " don't" (no other step makes or
 * breaks a " do not", so doing it first gives the Rust library's result).
 */
export function wordpieceCleanup(s: string): string {
  return cleanUpTokenization(s.replaceAll(' do not', " don't"));
}

class WordPieceDecoder implements Decoder {
  constructor(
    readonly prefix: string,
    readonly cleanup: boolean,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      if (i !== 0) t = t.startsWith(this.prefix) ? t.slice(this.prefix.length) : ` ${t}`;
      return this.cleanup ? wordpieceCleanup(t) : t;
    });
  }
  toJSON(): object {
    return { type: 'WordPiece', prefix: this.prefix, cleanup: this.cleanup };
  }
}

class ByteLevelDecoder implements Decoder {
  constructor(readonly json: object) {}
  decodeChain(tokens: string[]): string[] {
    const bytes: number[] = [];
    for (const t of tokens) {
      let ok = true;
      const start = bytes.length;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c]! : -1;
        if (b < 0) {
          ok = false;
          break;
        }
        bytes.push(b);
      }
      if (!ok) {
        bytes.length = start;
        for (const b of utf8enc.encode(t)) bytes.push(b);
      }
    }
    return [utf8dec.decode(Uint8Array.from(bytes))];
  }
  toJSON(): object {
    return { type: 'ByteLevel', ...this.json };
  }
}

class MetaspaceDecoder implements Decoder {
  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
    readonly split: boolean,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let out = '';
      for (const c of t) {
        if (c === this.replacement) {
          if (!(i === 0 && this.prependScheme !== 'never')) out += ' ';
        } else out += c;
      }
      return out;
    });
  }
  toJSON(): object {
    return { type: 'Metaspace', replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

class BPEDecoder implements Decoder {
  constructor(readonly suffix: string) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.replaceAll(this.suffix, i === tokens.length - 1 ? '' : ' '));
  }
  toJSON(): object {
    return { type: 'BPEDecoder', suffix: this.suffix };
  }
}

class ReplaceDecoder implements Decoder {
  constructor(
    readonly pattern: PatternSpec,
    readonly content: string,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => t.replace(this.pattern.re, () => this.content));
  }
  toJSON(): object {
    return { type: 'Replace', pattern: this.pattern.json, content: this.content };
  }
}

class StripDecoder implements Decoder {
  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => {
      const chars = Array.from(t);
      let a = 0;
      while (a < this.start && a < chars.length && chars[a] === this.content) a++;
      let b = chars.length;
      let n = 0;
      while (n < this.stop && b > a && chars[b - 1] === this.content) {
        b--;
        n++;
      }
      return chars.slice(a, b).join('');
    });
  }
  toJSON(): object {
    return { type: 'Strip', content: this.content, start: this.start, stop: this.stop };
  }
}

class FuseDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
  toJSON(): object {
    return { type: 'Fuse' };
  }
}

class ByteFallbackDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (!bytes.length) return;
      try {
        out.push(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes)));
      } catch {
        for (let i = 0; i < bytes.length; i++) out.push('\ufffd');
      }
      bytes = [];
    };
    for (const t of tokens) {
      const m = t.length === 6 && t.startsWith('<0x') && t.endsWith('>') ? /^[0-9A-Fa-f]{2}$/.exec(t.slice(3, 5)) : null;
      if (m) bytes.push(parseInt(m[0], 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  }
  toJSON(): object {
    return { type: 'ByteFallback' };
  }
}

class SequenceDecoder implements Decoder {
  constructor(readonly decoders: Decoder[]) {}
  decodeChain(tokens: string[]): string[] {
    for (const d of this.decoders) tokens = d.decodeChain(tokens);
    return tokens;
  }
  toJSON(): object {
    return { type: 'Sequence', decoders: this.decoders.map((d) => d.toJSON()) };
  }
}

const TYPES = ['WordPiece', 'ByteLevel', 'Metaspace', 'BPEDecoder', 'Replace', 'Strip', 'Fuse', 'ByteFallback', 'Sequence'] as const;

/** Build a decoder from its JSON (null: none). */
export function parseDecoder(r: JsonReader, v: unknown, path: string): Decoder | null {
  if (v === null || v === undefined) return null;
  const o = r.obj(v, path);
  const t = r.type(o, path, 'decoder', TYPES);
  switch (t) {
    case 'WordPiece':
      return new WordPieceDecoder(r.optStr(o, 'prefix', path, '##'), r.optBool(o, 'cleanup', path, true));
    case 'ByteLevel': {
      const { type: _t, ...rest } = o;
      return new ByteLevelDecoder(rest);
    }
    case 'Metaspace': {
      const rep = r.str(o.replacement, joinPath(path, 'replacement'));
      return new MetaspaceDecoder(rep, parsePrependScheme(r, o, path), r.optBool(o, 'split', path, true));
    }
    case 'BPEDecoder':
      return new BPEDecoder(r.optStr(o, 'suffix', path, '</w>'));
    case 'Replace':
      return new ReplaceDecoder(parsePattern(r, o.pattern, joinPath(path, 'pattern')), r.str(o.content, joinPath(path, 'content')));
    case 'Strip':
      return new StripDecoder(r.str(o.content, joinPath(path, 'content')), r.optUint(o, 'start', path, 0), r.optUint(o, 'stop', path, 0));
    case 'Fuse':
      return new FuseDecoder();
    case 'ByteFallback':
      return new ByteFallbackDecoder();
    case 'Sequence': {
      const p = joinPath(path, 'decoders');
      return new SequenceDecoder(
        r
          .arr(o.decoders, p)
          .map((x, i) => parseDecoder(r, x, joinPath(p, i)))
          .filter((x): x is Decoder => x !== null),
      );
    }
  }
  return r.fail(path, 'unreachable');
}
