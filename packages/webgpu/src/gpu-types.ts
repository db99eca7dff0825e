// The WebGPU type declarations (GPUDevice, GPUBuffer, ...): @webgpu/types, reached through the
// `webgpu` package's types (a type-only import, erased at run time).
export type {} from 'webgpu';
