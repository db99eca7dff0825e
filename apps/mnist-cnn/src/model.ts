/**
 * The CNN of the classic Keras MNIST example (and of the benchmark): conv 3x3 32 - ReLU -
 * conv 3x3 64 - ReLU - maxpool 2 - dropout 0.25 - flatten - fc 128 - ReLU - dropout 0.5 - fc 10.
 * 28x28 -> 26x26x32 -> 24x24x64 -> 12x12x64 = 9216 -> 128 -> 10 logits; 1,199,882 parameters.
 */
import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@tensile/nn';

/** Build the CNN (weights from core's default generator: seed it first). */
export function makeModel(): Sequential {
  return new Sequential(
    new Conv2d(1, 32, 3),
    new ReLU(),
    new Conv2d(32, 64, 3),
    new ReLU(),
    new MaxPool2d(2),
    new Dropout(0.25),
    new Flatten(),
    new Linear(9216, 128),
    new ReLU(),
    new Dropout(0.5),
    new Linear(128, 10),
  );
}
