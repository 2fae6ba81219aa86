/** drkit/rl: advantage estimators, policy losses with analytic gradients, KL, batches and sampling filters. */
export * from "./actor-objective.js";
export * from "./advantage-registry.js";
export * from "./advantage-types.js";
export * from "./covariance-losses.js";
export * from "./gae.js";
export * from "./kl.js";
export * from "./loss-aggregation.js";
export * from "./outcome-advantages.js";
export * from "./policy-loss-registry.js";
export * from "./policy-loss-types.js";
export * from "./policy-losses.js";
export * from "./return-advantages.js";
export * from "./rollout-batch.js";
export * from "./sampling-filters.js";
export * from "./tensor.js";
export * from "./tinker-datum.js";
export * from "./value-loss.js";
