/**
 * One usage tracker charged by every LLM, search, read and judge call: tokens, calls, wall clock and money.
 * Limits are optional; `check()` throws `BudgetExceededError` once one is passed.
 */

import type { Price } from "./config.js";
import { BudgetExceededError } from "./errors.js";
import { emptyUsage, type Usage } from "./trajectory.js";

export interface BudgetLimits {
  maxCostUsd?: number;
  maxTokens?: number;
  maxLlmCalls?: number;
  maxWallClockMs?: number;
}

export class UsageTracker {
  readonly usage: Usage = emptyUsage();
  private readonly startedAt: number;

  constructor(
    readonly limits: BudgetLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  chargeModel(promptTokens: number, completionTokens: number, price?: Price): void {
    this.usage.llmCalls += 1;
    this.usage.promptTokens += promptTokens;
    this.usage.completionTokens += completionTokens;
    this.usage.totalTokens += promptTokens + completionTokens;
    if (price) this.usage.costUsd += costOf(promptTokens, completionTokens, price);
  }

  /** One model reply: its tokens and the cost the provider reported for it. */
  chargeResponse(response: { usage: { promptTokens: number; completionTokens: number }; costUsd?: number }): void {
    this.chargeModel(response.usage.promptTokens, response.usage.completionTokens);
    this.usage.costUsd += response.costUsd ?? 0;
  }

  /** Usage recorded elsewhere (another tracker's, a finished episode's), every field added. */
  add(usage: Usage): void {
    for (const key of Object.keys(this.usage) as (keyof Usage)[]) this.usage[key] += usage[key];
  }

  chargeTool(costUsd = 0): void {
    this.usage.toolCalls += 1;
    this.usage.costUsd += costUsd;
  }

  elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /** The first limit passed, or undefined. */
  exceeded(): string | undefined {
    const { limits, usage } = this;
    if (limits.maxCostUsd !== undefined && usage.costUsd > limits.maxCostUsd)
      return `cost $${usage.costUsd.toFixed(4)} passed the budget of $${limits.maxCostUsd}`;
    if (limits.maxTokens !== undefined && usage.totalTokens > limits.maxTokens)
      return `${usage.totalTokens} tokens passed the budget of ${limits.maxTokens}`;
    if (limits.maxLlmCalls !== undefined && usage.llmCalls >= limits.maxLlmCalls)
      return `${usage.llmCalls} model calls reached the limit of ${limits.maxLlmCalls}`;
    if (limits.maxWallClockMs !== undefined && this.elapsedMs() > limits.maxWallClockMs)
      return `wall clock ${this.elapsedMs()} ms passed the limit of ${limits.maxWallClockMs} ms`;
    return undefined;
  }

  check(): void {
    const reason = this.exceeded();
    if (reason) throw new BudgetExceededError(`${reason}; raise the limit or lower the work`);
  }
}

export function costOf(promptTokens: number, completionTokens: number, price: Price): number {
  return (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000;
}
