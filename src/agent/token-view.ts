/**
 * Build the token-space view of a trajectory from the ids the server returned (vLLM `return_token_ids` / `prompt_token_ids`): the first turn's
 * prompt ids, then per turn the sampled ids (mask 1, with logprobs) and the observation ids (mask 0). An
 * observation span is the part of the next turn's `promptTokenIds` after `previous prompt ++ previous sample`
 * (so chat-template tokens are exact); when that prefix check fails and a tokenizer is given, the observation
 * is tokenized alone; otherwise no view is built.
 */
import type { TokenSpan, TokenView, Turn } from "../core/trajectory.js";

export interface TokenViewResult {
  view?: TokenView;
  /** Why no view was built. */
  reason?: string;
}

function startsWith(sequence: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > sequence.length) return false;
  for (let i = 0; i < prefix.length; i++) if (sequence[i] !== prefix[i]) return false;
  return true;
}

export function buildTokenView(
  turns: readonly Turn[],
  tokenizerName: string,
  tokenizer?: { encode(text: string): number[] },
): TokenViewResult {
  if (turns.length === 0) return { reason: "no turns" };
  const first = turns[0] as Turn;
  if (!first.promptTokenIds) return { reason: "the server returned no prompt token ids" };
  const spans: TokenSpan[] = [];
  let context = [...first.promptTokenIds];
  for (let index = 0; index < turns.length; index++) {
    const turn = turns[index] as Turn;
    if (!turn.tokenIds) return { reason: `turn ${index} has no token ids` };
    if (turn.logprobs && turn.logprobs.length !== turn.tokenIds.length)
      return { reason: `turn ${index}: ${turn.logprobs.length} logprobs for ${turn.tokenIds.length} tokens` };
    spans.push({
      source: "model",
      turn: index,
      ids: [...turn.tokenIds],
      ...(turn.logprobs ? { logprobs: [...turn.logprobs] } : {}),
    });
    context = context.concat(turn.tokenIds);
    const next = turns[index + 1];
    if (!next) break;
    let observationIds: number[] | undefined;
    if (next.promptTokenIds && startsWith(next.promptTokenIds, context)) {
      observationIds = next.promptTokenIds.slice(context.length);
    } else if (tokenizer && turn.observation !== undefined) {
      observationIds = tokenizer.encode(turn.observation);
    }
    if (!observationIds)
      return {
        reason: `turn ${index + 1}: its prompt ids do not extend the previous sequence and no tokenizer was given`,
      };
    spans.push({ source: "observation", turn: index, ids: observationIds });
    context = context.concat(observationIds);
  }
  return { view: { tokenizer: tokenizerName, promptIds: [...first.promptTokenIds], spans } };
}
