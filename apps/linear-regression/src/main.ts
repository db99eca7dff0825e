// Placeholder: the linear-regression demo built on @tensile/core goes here.
// Run it with `pnpm demo` from the repository root.
console.log('demo pending');
