// Linear regression on the CPU backend (or another device: --device js). Run it with `pnpm demo`
// from the repository root.
import '@tensile/cpu';
import { parseArgs } from 'node:util';
import { getDefaultDevice, memory, setDefaultDevice } from '@tensile/core';
import { train } from './train.js';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'cpu' } } });
setDefaultDevice(values.device!);

const before = memory().numTensors;
console.log(`fitting y = 3x - 2 + noise on device '${getDefaultDevice()}'`);
const { w, b, liveTensors } = train({
  epochs: 100,
  lr: 0.05,
  onLog: (epoch, loss) => console.log(`epoch ${String(epoch).padStart(3)}  loss ${loss.toFixed(6)}`),
});
console.log(`learned w = ${w.toFixed(4)}, b = ${b.toFixed(4)} (true: 3, -2)`);
const flat = liveTensors.every((n) => n === liveTensors[0]);
console.log(`live tensors: ${liveTensors[0]} after the first step, ${liveTensors.at(-1)} after the last (${flat ? 'flat' : 'NOT flat'})`);
console.log(`live tensors after cleanup: ${memory().numTensors} (before training: ${before})`);
