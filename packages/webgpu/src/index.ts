/** @tensile/webgpu: the WebGPU backend. */
export {};
