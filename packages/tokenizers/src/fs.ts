/** The only module that touches the file system (Node); loaded lazily by fromFile/save/fromPretrained. */
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { TokenizerError } from './errors.js';

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new TokenizerError(`cannot read file: ${(e as Error).message}`, path);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}
