export {
  type RetrievalDocument,
  type RetrievalServer,
  type RetrievalServerOptions,
  retrieveRequestSchema,
  startRetrievalServer,
  toRetrievalDocument,
} from "./retrieval-server.js";
