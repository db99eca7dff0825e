/** An error in a tokenizer file or in a call: names the file and the JSON path of the bad field. */
export class TokenizerError extends Error {
  constructor(
    message: string,
    /** The file (or source name) the bad value came from, e.g. `tokenizer.json`. */
    readonly file?: string,
    /** The JSON path of the bad field, e.g. `model.vocab["foo"]`. */
    readonly path?: string,
  ) {
    super(file !== undefined ? `${file}: ${path ? `${path}: ` : ''}${message}` : path ? `${path}: ${message}` : message);
    this.name = 'TokenizerError';
  }
}

/** Describe a JSON value's type for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Append a key to a JSON path: identifiers as `.key`, anything else as `["key"]`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Reads and validates fields of a parsed JSON document, throwing TokenizerError naming the path. */
export class JsonReader {
  constructor(readonly file: string) {}

  fail(path: string, message: string): never {
    throw new TokenizerError(message, this.file, path || '(root)');
  }

  expected(path: string, what: string, v: unknown): never {
    this.fail(path, `expected ${what}, got ${typeName(v)}`);
  }

  obj(v: unknown, path: string): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.expected(path, 'an object', v);
    return v as Record<string, unknown>;
  }

  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.expected(path, 'an array', v);
    return v;
  }

  str(v: unknown, path: string): string {
    if (typeof v !== 'string') this.expected(path, 'a string', v);
    return v;
  }

  num(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.expected(path, 'a number', v);
    return v;
  }

  /** A non-negative integer (ids, lengths). */
  uint(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      if (typeof v === 'number') this.fail(path, `expected a non-negative integer, got ${v}`);
      this.expected(path, 'a non-negative integer', v);
    }
    return v;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.expected(path, 'a boolean', v);
    return v;
  }

  /** Field `key` of `o`: `undefined` and `null` give `def`. */
  optStr(o: Record<string, unknown>, key: string, path: string, def: string): string;
  optStr(o: Record<string, unknown>, key: string, path: string, def: string | null): string | null;
  optStr(o: Record<string, unknown>, key: string, path: string, def: string | null): string | null {
    const v = o[key];
    return v === undefined || v === null ? def : this.str(v, joinPath(path, key));
  }

  optBool(o: Record<string, unknown>, key: string, path: string, def: boolean): boolean {
    const v = o[key];
    return v === undefined || v === null ? def : this.bool(v, joinPath(path, key));
  }

  optUint(o: Record<string, unknown>, key: string, path: string, def: number): number;
  optUint(o: Record<string, unknown>, key: string, path: string, def: number | null): number | null;
  optUint(o: Record<string, unknown>, key: string, path: string, def: number | null): number | null {
    const v = o[key];
    return v === undefined || v === null ? def : this.uint(v, joinPath(path, key));
  }

  optNum(o: Record<string, unknown>, key: string, path: string, def: number | null): number | null {
    const v = o[key];
    return v === undefined || v === null ? def : this.num(v, joinPath(path, key));
  }

  /** The `type` field of a component, checked against the supported names. */
  type(o: Record<string, unknown>, path: string, kind: string, supported: readonly string[]): string {
    const t = this.str(o.type, joinPath(path, 'type'));
    if (!supported.includes(t)) {
      this.fail(joinPath(path, 'type'), `unsupported ${kind} type "${t}" (supported: ${supported.join(', ')})`);
    }
    return t;
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    const s = this.str(v, path);
    if (!(values as readonly string[]).includes(s)) this.fail(path, `expected one of ${values.map((x) => `"${x}"`).join(', ')}, got "${s}"`);
    return s as T;
  }
}
