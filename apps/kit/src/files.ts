/** File helpers of the kit. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write text to `file` atomically (temp in the same folder, fsync, rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch { /* never created */ }
    throw e;
  }
}
