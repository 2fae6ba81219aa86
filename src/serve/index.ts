export {
  type RetrievalDocument,
  type RetrievalServer,
  type RetrievalServerOptions,
  retrieveRequestSchema,
  startRetrievalServer,
  toRetrievalDocument,
} from "./retrieval-server.js";
export {
  type ComputeScoreRequestItem,
  checkServableReward,
  computeScoreRequestSchema,
  DEFAULT_SERVER_REWARD,
  type RewardServer,
  type RewardServerOptions,
  startRewardServer,
} from "./reward-server.js";
