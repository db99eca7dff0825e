/** Every case of fixtures/modules/{linear,conv2d,batchnorm2d,layernorm,embedding}.json, on js (and cpu when it loads). */
import { BatchNorm2d, Conv2d, Embedding, LayerNorm, Linear } from '@tensile/nn';
import { moduleFixtureTests } from './support/module-fixtures.js';

moduleFixtureTests('linear', (a) => new Linear(a.in_features, a.out_features, { bias: a.bias }));
moduleFixtureTests('conv2d', (a) =>
  new Conv2d(a.in_channels, a.out_channels, a.kernel_size, { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias, paddingMode: a.padding_mode }));
moduleFixtureTests('batchnorm2d', (a) => new BatchNorm2d(a.num_features, { eps: a.eps, momentum: a.momentum, affine: a.affine, trackRunningStats: a.track_running_stats }));
moduleFixtureTests('layernorm', (a) => new LayerNorm(a.normalized_shape, { eps: a.eps, elementwiseAffine: a.elementwise_affine, bias: a.bias }));
moduleFixtureTests('embedding', (a) => new Embedding(a.num_embeddings, a.embedding_dim, { paddingIdx: a.padding_idx }));
