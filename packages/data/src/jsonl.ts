/**
 * JSON Lines (one JSON value per line), browser-safe parsing. Streaming file readers are in
 * `@tensile/data/node` (readJsonl, iterJsonl, JsonlDataset).
 */

/** Parse one JSONL line; errors name the source and the 1-based line number. */
export function parseJsonlLine<T = unknown>(line: string, lineNumber: number, source = 'parseJsonl'): T {
  try {
    return JSON.parse(line) as T;
  } catch (e) {
    const preview = line.length > 80 ? `${line.slice(0, 77)}...` : line;
    throw new SyntaxError(`${source}: line ${lineNumber} is not valid JSON (${(e as Error).message}): ${preview}`);
  }
}

/** True for a line with nothing but whitespace (skipped). */
export function isBlankLine(line: string): boolean {
  return line.trim() === '';
}

/** Parse JSONL text into its values; blank lines are skipped; LF and CRLF endings. */
export function parseJsonl<T = unknown>(text: string, opts: { source?: string } = {}): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    let line = lines[k]!;
    if (k === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (isBlankLine(line)) continue;
    out.push(parseJsonlLine<T>(line, k + 1, opts.source));
  }
  return out;
}
