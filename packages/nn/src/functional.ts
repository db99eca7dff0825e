/**
 * torch.nn.functional in camelCase: `import { functional as F } from '@tensile/nn'`. Core's
 * functional ops re-exported, plus the few defined in this package (bilinear, selu, glu, ...).
 */
export {
  // linear and convolution
  linear, conv1d, conv2d, convTranspose1d, convTranspose2d, pad, interpolate,
  // pooling
  maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool1d, adaptiveAvgPool2d,
  // activations
  relu, relu6, gelu, silu, mish, tanh, sigmoid, softmax, logSoftmax, leakyRelu, elu, softplus, hardtanh, logSigmoid,
  // normalisation and dropout
  layerNorm, batchNorm, groupNorm, instanceNorm, normalize, dropout,
  // sparse
  embedding, oneHot,
  // losses
  mseLoss, l1Loss, smoothL1Loss, crossEntropy, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv, cosineSimilarity,
  // attention
  scaledDotProductAttention,
} from '@tensile/core';
export { bilinear, selu, celu, hardsigmoid, hardswish, softsign, tanhshrink, softmin, glu, prelu, threshold, huberLoss } from './functional-extra.js';
