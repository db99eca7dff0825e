/** File helpers of the kit. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic as writeAtomic } from '@tensile/nn';

/**
 * Write text or bytes to `file` atomically (@tensile/nn's writeFileAtomic: temp file in the same
 * folder, fsync, rename, folder fsync), creating the folder first.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeAtomic(file, data);
}
