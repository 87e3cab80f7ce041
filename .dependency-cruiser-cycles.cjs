/**
 * No import cycles in src/ (`npm run lint:deps`, after the layer rules of .dependency-cruiser.cjs).
 *
 * Type-only imports do not count here (`tsPreCompilationDeps: false`: the cruise reads what the
 * compiled JavaScript imports). A cycle of values decides what a module sees while the other is
 * still loading (`undefined` classes, half-built exports); a type-only edge is erased and cannot.
 * Types that point back within a layer are the facade's nature: a Collection names its Bucket,
 * a Bucket makes Collections. Upward type imports are still refused, by the layer rules.
 * A separate cruise rather than a rule that skips cycles through a type-only edge: the cruiser
 * reports one cycle per import, and that one could hide a cycle of values behind it.
 */
const layers = require("./.dependency-cruiser.cjs");

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A module must not reach itself through the imports that survive compilation.",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: { ...layers.options, tsPreCompilationDeps: false },
};
