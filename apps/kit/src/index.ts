/** Shared parts of the example apps. */
export {};
