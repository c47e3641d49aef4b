/**
 * {@link LociChatMessageHistory}: a LangChain chat history stored in a Loci session.
 *
 * @module
 */
import { BaseListChatMessageHistory } from "@langchain/core/chat_history";
import {
  type BaseMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
} from "@langchain/core/messages";
import { LociError, type Memory, type MemoryClient, type Metadata } from "@loci/engine";

/** Options of {@link LociChatMessageHistory}. */
export interface LociChatMessageHistoryOptions {
  /** Any Loci client: the in-process `Loci` engine or the HTTP `LociClient`. */
  client: MemoryClient;
  /** The Loci namespace. */
  namespace: string;
  /** The Loci session holding the conversation (created on first use if missing). */
  sessionId: string;
}

/** Metadata flag: the message's text content is the memory content (not repeated in `lc_message`). */
const CONTENT_IN_MEMORY = "lc_content_in_memory";

function textOf(message: BaseMessage): string {
  const c = message.content;
  const text =
    typeof c === "string"
      ? c
      : c
          .map((part) => (typeof part === "string" ? part : "text" in part ? String(part.text) : ""))
          .join(" ");
  return text.trim() === "" ? `[${message.type}]` : text;
}

/**
 * Chat history backed by a Loci session: one memory per message (content = the message text, so
 * the conversation is searchable with Loci; metadata `{ lc_message: <StoredMessage>, role }`, where a
 * plain-text content is kept only in the memory content, flagged `lc_content_in_memory`), read
 * back in insertion order. Message types, names, tool calls and ids round-trip through LangChain's
 * `mapChatMessagesToStoredMessages` / `mapStoredMessagesToChatMessages`. `clear()` deletes the
 * session's memories (the session itself stays).
 *
 * @example
 * ```ts
 * const history = new LociChatMessageHistory({ client: loci, namespace: "chats", sessionId: "user-1" });
 * await history.addUserMessage("hi");
 * const messages = await history.getMessages();
 * ```
 */
export class LociChatMessageHistory extends BaseListChatMessageHistory {
  lc_namespace = ["loci", "chat_history"];
  /** The Loci client. */
  readonly client: MemoryClient;
  /** The Loci namespace. */
  readonly namespace: string;
  /** The Loci session id. */
  readonly sessionId: string;
  private ready: Promise<void> | undefined;

  constructor(options: LociChatMessageHistoryOptions) {
    super();
    this.client = options.client;
    this.namespace = options.namespace;
    this.sessionId = options.sessionId;
  }

  private ensureSession(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.session.get({ namespace: this.namespace, id: this.sessionId });
      } catch (err) {
        if (
          !(
            LociError.isInstance(err) &&
            (err.code === "SESSION_NOT_FOUND" || err.code === "NAMESPACE_NOT_FOUND")
          )
        )
          throw err;
        try {
          await this.client.session.create({ namespace: this.namespace, id: this.sessionId });
        } catch (err2) {
          if (!(LociError.isInstance(err2) && err2.code === "ALREADY_EXISTS")) throw err2;
        }
      }
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async sessionMemories(): Promise<Memory[]> {
    await this.ensureSession();
    const out: Memory[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.memory.list({
        namespace: this.namespace,
        sessionId: this.sessionId,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** The session's messages, oldest first. */
  async getMessages(): Promise<BaseMessage[]> {
    const stored: StoredMessage[] = [];
    for (const m of await this.sessionMemories()) {
      const lc = m.metadata.lc_message as unknown as StoredMessage | undefined;
      if (lc === undefined) continue;
      stored.push(
        m.metadata[CONTENT_IN_MEMORY] === true ? { ...lc, data: { ...lc.data, content: m.content } } : lc,
      );
    }
    return mapStoredMessagesToChatMessages(stored);
  }

  /** Appends one message. */
  async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  /** Appends messages atomically, in order. */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureSession();
    const stored = mapChatMessagesToStoredMessages(messages);
    await this.client.memory.addMany({
      namespace: this.namespace,
      memories: messages.map((m, i) => {
        const lc = JSON.parse(JSON.stringify(stored[i])) as StoredMessage;
        const inContent = typeof lc.data.content === "string" && lc.data.content.trim() !== "";
        // Plain-text content lives only in the memory content, so long messages (tool results) are not
        // bounded by Loci's metadata limit (64 KiB by default).
        const content = inContent ? lc.data.content : textOf(m);
        if (inContent) lc.data.content = "";
        const metadata: Metadata = { lc_message: lc as unknown as Metadata, role: m.type };
        if (inContent) metadata[CONTENT_IN_MEMORY] = true;
        return { content, sessionId: this.sessionId, metadata };
      }),
    });
  }

  /** Deletes the session's messages. */
  override async clear(): Promise<void> {
    await this.ensureSession();
    await this.client.memory.deleteMany({ namespace: this.namespace, sessionId: this.sessionId });
  }
}
