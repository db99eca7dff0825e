// Linear regression, the seed's first lesson, then the same model on real data (the Boston house
// prices): `pnpm --filter @tensile/app-linear-regression start -- --help`.
import { describeDevice, parseAppArgs, runMain, useDevice, UsageError } from '@tensile/app-kit';
import { BOSTON_DEFAULTS, trainBoston } from './boston.js';
import { trainSeedExample } from './seed-example.js';

const USAGE = `Usage: pnpm --filter @tensile/app-linear-regression start -- [options]

1. The seed example: x = [1, 2, 3, 4], y = x, Linear(1, 1), MSELoss, SGD lr 0.01, 100 epochs.
2. Linear(13, 1) on the Boston house prices (seeded 80/20 split, standardised features), compared
   with the closed-form least-squares solution (test RMSE must be within --tolerance of it).
   The common options apply to this part; --batch-size >= 404 means full-batch gradient descent.

App options:
  --optimizer sgd|adam   optimizer (default ${BOSTON_DEFAULTS.optimizer}; SGD with --momentum)
  --momentum X           SGD momentum (default ${BOSTON_DEFAULTS.momentum})
  --checkpoint-every N   save a checkpoint every N epochs and after the last (default ${BOSTON_DEFAULTS.checkpointEvery})
  --tolerance X          allowed relative gap to the closed-form test RMSE (default ${BOSTON_DEFAULTS.tolerance})`;

runMain(async () => {
  const args = parseAppArgs(
    process.argv.slice(2),
    { epochs: BOSTON_DEFAULTS.epochs, batchSize: BOSTON_DEFAULTS.batchSize, lr: BOSTON_DEFAULTS.lr, out: BOSTON_DEFAULTS.out },
    {
      optimizer: { type: 'string', default: BOSTON_DEFAULTS.optimizer },
      momentum: { type: 'number', min: 0, default: BOSTON_DEFAULTS.momentum },
      'checkpoint-every': { type: 'number', integer: true, min: 1, default: BOSTON_DEFAULTS.checkpointEvery },
      tolerance: { type: 'number', min: 0, default: BOSTON_DEFAULTS.tolerance },
    },
    USAGE,
  );
  if (args.optimizer !== 'sgd' && args.optimizer !== 'adam') throw new UsageError(`--optimizer: expected sgd or adam, got '${args.optimizer}'`);

  await useDevice(args.device);
  if (args.device === 'webgpu') console.log(describeDevice('webgpu'));
  console.log(`1. the seed example on device '${args.device}': x = [1, 2, 3, 4], y = x, Linear(1, 1), SGD lr 0.01, 100 epochs`);
  const seed = await trainSeedExample({ seed: args.seed });
  console.log(`   loss ${seed.losses[0]!.toFixed(4)} -> ${seed.losses.at(-1)!.toFixed(4)}, w = ${seed.weight.toFixed(4)}, b = ${seed.bias.toFixed(4)}`);
  for (let i = 0; i < seed.x.length; i++) console.log(`   x = ${seed.x[i]}  prediction ${seed.predictions[i]!.toFixed(4)}`);

  console.log(`\n2. Boston house prices: Linear(13, 1), ${args.optimizer}, ${args.epochs} epochs, out ${args.out}`);
  await trainBoston({ ...args, optimizer: args.optimizer });
});
