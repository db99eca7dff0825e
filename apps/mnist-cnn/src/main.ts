// The MNIST CNN app: `pnpm --filter @tensile/app-mnist-cnn start -- [--epochs N] [--device cpu|js] ...`
// (`pnpm demo` at the root runs one epoch on cpu). See README.md.
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { parseAppArgs, runMain, UsageError } from '@tensile/app-kit';
import { train } from './train.js';

const USAGE = `usage: pnpm --filter @tensile/app-mnist-cnn start -- [options]

Trains a CNN (conv32-conv64-maxpool-fc128-fc10, Adam) on the 10,000 digits of the mnist npm
package (8,000 train / 2,000 held-out test, stratified) and prints the test accuracy per epoch.
--out is relative to the current folder (default: the app's out/).

App options:
  --shift N          random shifts of up to N pixels (augmentation; 0 = off; default 2)
  --schedule NAME    learning rate over the epochs: cosine (default: annealed to 0 by the last
                     epoch) or constant`;

runMain(async () => {
  const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const opts = parseAppArgs(
    process.argv.slice(2),
    { device: 'cpu', epochs: 15, batchSize: 32, lr: 1e-3, seed: 0, out: path.join(appDir, 'out') },
    { shift: { type: 'number', integer: true, min: 0, default: 2 }, schedule: { type: 'string', default: 'cosine' } },
    USAGE,
  );
  console.log(`mnist-cnn on '${opts.device}': ${opts.epochs} epochs, batch ${opts.batchSize}, lr ${opts.lr}, seed ${opts.seed}, out ${opts.out}`);
  if (opts.schedule !== 'cosine' && opts.schedule !== 'constant') throw new UsageError(`--schedule: expected cosine or constant, got '${opts.schedule}'`);
  const r = await train({ ...opts, schedule: opts.schedule });
  const f = r.final;
  if (f.testAccuracy !== undefined) {
    const n = f.epochs!;
    console.log(`test accuracy ${(100 * f.testAccuracy).toFixed(2)}% on the held-out digits after ${n} epoch${n === 1 ? '' : 's'} (wall time ${r.wallTimeS.toFixed(1)} s); metrics.json and report.html in ${opts.out}`);
  }
});
