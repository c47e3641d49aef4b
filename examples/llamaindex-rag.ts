/**
 * A small RAG app on LlamaIndex.TS with Loci as its storage: a handful of handbook pages are indexed
 * into `LociVectorStore` (nodes and vectors) and `LociKVStore` (document and index stores) with
 * `storageContextFromDefaults` + `VectorStoreIndex.fromDocuments`, then retrieved and queried. The app
 * is then reopened from the data directory and answers again without embedding any document again.
 *
 * Run: `pnpm example llamaindex-rag`
 *
 * Embeddings are Loci's offline USE-lite model (`LociEmbedding`). The LLM is a deterministic stub
 * ({@link ExtractiveLLM}: it answers with the retrieved sentence that best matches the question). To use
 * a real LLM, pass it instead: `Settings.withLLM(new OpenAI({ model: "gpt-4o-mini" }), ...)`.
 *
 * @module
 */
import { type Embedder, Loci, UseLiteEmbedder } from "@loci/engine";
import { LociEmbedding, LociKVStore, LociVectorStore } from "@loci/llamaindex";
import {
  Document,
  KVDocumentStore,
  KVIndexStore,
  Settings,
  storageContextFromDefaults,
  VectorStoreIndex,
} from "llamaindex";
import type { Example } from "./context.js";
import { ExtractiveLLM } from "./lib/fake-models.js";

/** The handbook pages the app answers from. */
const PAGES: { id: string; text: string }[] = [
  {
    id: "refunds",
    text: "Refund policy. Customers can request a full refund within 30 days of purchase. After 30 days we offer store credit only. Refunds are paid to the original payment method within 5 business days.",
  },
  {
    id: "on-call",
    text: "On-call rotation. Each engineer is on call for one week at a time. Pages must be acknowledged within 15 minutes. Hand over open incidents at the Monday standup.",
  },
  {
    id: "expenses",
    text: "Travel expenses. Book flights through the travel portal. Meals are reimbursed up to 60 euros per day with receipts. Submit expense reports before the 5th of the following month.",
  },
  {
    id: "security",
    text: "Security incidents. Report a lost laptop or a suspected phishing email to security@acme.example immediately. Rotate any credentials that may have been exposed.",
  },
];

/** An embedder wrapper that counts the texts it embeds (to show a reopen embeds no document). */
class CountingEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  texts = 0;
  constructor(readonly inner: Embedder) {
    this.id = inner.id;
    this.dimensions = inner.dimensions;
  }
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.texts += texts.length;
    return this.inner.embed(texts);
  }
}

/** One answered question. */
export interface Answer {
  question: string;
  /** The handbook page the top retrieved node came from. */
  topPage: string;
  answer: string;
}

/** What the example returns (asserted by its test). */
export interface LlamaIndexRagResult {
  /** Texts embedded while building the index. */
  embeddedAtBuild: number;
  /** Pages the retriever returned for "lost my laptop", best first. */
  retrieved: string[];
  /** Answers from the freshly built index. */
  first: Answer[];
  /** Answers after reopening the engine and the index from disk. */
  reopened: Answer[];
  /** Texts embedded after the reopen (only the questions). */
  embeddedAfterReopen: number;
  /** Node memories in the Loci namespace. */
  nodeCount: number;
}

const QUESTIONS = [
  "How many days do customers have to ask for a refund?",
  "How quickly must an on-call engineer acknowledge a page?",
];

/** The storage context over one Loci client: nodes in one namespace, doc + index stores in another. */
function storageFor(loci: Loci, embedModel: LociEmbedding) {
  const kv = new LociKVStore({ client: loci, namespace: "handbook-kv" });
  return storageContextFromDefaults({
    vectorStore: new LociVectorStore({ client: loci, namespace: "handbook-nodes", embedModel }),
    docStore: new KVDocumentStore(kv),
    indexStore: new KVIndexStore(kv, "index_store"), // both default to "docstore": keep them apart
  });
}

/** Retrieves the top node for each question and asks the query engine. */
async function ask(
  index: VectorStoreIndex,
  llm: ExtractiveLLM,
  embedModel: LociEmbedding,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const question of QUESTIONS) {
    // The query engine retrieves (embedding the question once) and hands the context to the LLM.
    const response = await Settings.withEmbedModel(embedModel, () =>
      Settings.withLLM(llm, () => index.asQueryEngine({ similarityTopK: 1 }).query({ query: question })),
    );
    const top = response.sourceNodes?.[0];
    answers.push({ question, topPage: top?.node.sourceNode?.nodeId ?? "?", answer: response.response });
  }
  return answers;
}

/** The example. */
export const example: Example<LlamaIndexRagResult> = {
  description: "LlamaIndex RAG over LociVectorStore: index a handbook, query it, reopen without re-embedding",
  async run({ dataDir, log }) {
    const embedder = new CountingEmbedder(new UseLiteEmbedder());
    const embedModel = new LociEmbedding({ embedder });
    const llm = new ExtractiveLLM();
    const print = (answers: Answer[]) => {
      for (const a of answers) {
        log(`  Q: ${a.question}`);
        log(`  A: ${a.answer}   [source: ${a.topPage}]`);
      }
    };

    let loci = await Loci.open({ dataDir, embedder });
    let first: Answer[];
    let embeddedAtBuild: number;
    let retrieved: string[];
    try {
      const docs = PAGES.map((p) => new Document({ id_: p.id, text: p.text }));
      const storageContext = await storageFor(loci, embedModel);
      // VectorStoreIndex reads Settings.embedModel: scope it to this call instead of setting it globally.
      const index = await Settings.withEmbedModel(embedModel, () =>
        VectorStoreIndex.fromDocuments(docs, { storageContext }),
      );
      embeddedAtBuild = embedder.texts;
      const kvEntries = (await loci.memory.list({ namespace: "handbook-kv" })).items.length;
      log(
        `Indexed ${docs.length} handbook pages into Loci: nodes in "handbook-nodes", ${kvEntries} doc/index-store entries in "handbook-kv".`,
      );
      log(
        `  ${embeddedAtBuild} texts embedded offline (the nodes, and each store entry's "collection/key" label).`,
      );

      const hits = await Settings.withEmbedModel(embedModel, () =>
        index.asRetriever({ similarityTopK: 2 }).retrieve({ query: "I lost my laptop" }),
      );
      retrieved = hits.map((h) => h.node.sourceNode?.nodeId ?? "?");
      log(
        `Retriever, "I lost my laptop": ${hits.map((h, i) => `${retrieved[i]} (${h.score?.toFixed(2)})`).join(", ")}`,
      );
      log("Query engine:");
      first = await ask(index, llm, embedModel);
      print(first);
    } finally {
      await loci.close();
    }

    log("");
    log("Reopening the engine and the index from the data directory...");
    loci = await Loci.open({ dataDir, embedder });
    try {
      const before = embedder.texts;
      const storageContext = await storageFor(loci, embedModel);
      const index = await Settings.withEmbedModel(embedModel, () =>
        VectorStoreIndex.init({ storageContext }),
      );
      const reopened = await ask(index, llm, embedModel);
      print(reopened);
      const embeddedAfterReopen = embedder.texts - before;
      const nodeCount = (await loci.memory.list({ namespace: "handbook-nodes" })).items.length;
      log(
        `After the reopen, ${embeddedAfterReopen} texts were embedded: the ${QUESTIONS.length} questions, no document.`,
      );
      log(
        `The ${nodeCount} nodes are plain Loci memories in "handbook-nodes" (searchable by any Loci client).`,
      );
      return { embeddedAtBuild, retrieved, first, reopened, embeddedAfterReopen, nodeCount };
    } finally {
      await loci.close();
    }
  },
};
