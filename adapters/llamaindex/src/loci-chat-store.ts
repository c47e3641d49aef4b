/**
 * {@link LociChatStore}: a LlamaIndex chat store over one Loci namespace.
 *
 * @module
 */
import type { ChatMessage } from "@llamaindex/core/llms";
import { BaseChatStore } from "@llamaindex/core/storage/chat-store";
import { extractText } from "@llamaindex/core/utils";
import type { Memory, MemoryClient } from "@loci/engine";
import { deleteAll, listAll, nonBlank, toMetadata } from "./internal.js";

/** Metadata flag: the message's text content is the memory content (not repeated in `chat_message`). */
const CONTENT_IN_MEMORY = "chat_content_in_memory";

/** Options of {@link LociChatStore}. */
export interface LociChatStoreOptions {
  /** Any `MemoryClient`: the in-process engine (`Loci.open`) or the HTTP client (`LociClient`). */
  client: MemoryClient;
  /** The Loci namespace that holds every conversation of this store. */
  namespace: string;
}

/**
 * A LlamaIndex `BaseChatStore` whose messages are Loci memories (content = the message text,
 * so conversations are also searchable in Loci; metadata = `{ chat_key, chat_position,
 * chat_message }`, where a plain-text content is kept only in the memory content), returned
 * in insertion order (`addMessage(key, msg, idx)` inserts at `idx`).
 *
 * LlamaIndex calls the writers without awaiting them, so this store runs its operations one
 * after another in call order; every method also returns a promise you may await.
 */
export class LociChatStore<
  AdditionalMessageOptions extends object = object,
> extends BaseChatStore<AdditionalMessageOptions> {
  /** The Loci namespace of the store. */
  readonly namespace: string;
  readonly #client: MemoryClient;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: LociChatStoreOptions) {
    super();
    this.#client = options.client;
    this.namespace = options.namespace;
  }

  /** The underlying `MemoryClient`. */
  client(): MemoryClient {
    return this.#client;
  }

  /** Replaces the messages of `key`. */
  setMessages(key: string, messages: ChatMessage<AdditionalMessageOptions>[]): Promise<void> {
    return this.#run(async () => {
      await this.#deleteAll(key);
      for (const [i, m] of messages.entries()) await this.#store(key, m, i);
    });
  }

  /** The messages of `key`, in order. */
  getMessages(key: string): Promise<ChatMessage<AdditionalMessageOptions>[]> {
    return this.#run(async () =>
      (await this.#load(key)).map((m) => {
        const message = m.metadata.chat_message as unknown as ChatMessage<AdditionalMessageOptions>;
        return m.metadata[CONTENT_IN_MEMORY] === true ? { ...message, content: m.content } : message;
      }),
    );
  }

  /**
   * Appends a message to `key`, or inserts it before position `idx` (`Array.splice` semantics, like
   * `SimpleChatStore`: a negative `idx` counts from the end).
   */
  addMessage(key: string, message: ChatMessage<AdditionalMessageOptions>, idx?: number): Promise<void> {
    return this.#run(async () => {
      const current = await this.#load(key);
      const pos = (i: number): number => current[i]?.metadata.chat_position as number;
      if (idx !== undefined) idx = spliceStart(idx, current.length);
      let position: number;
      if (idx === undefined || idx >= current.length) {
        position = current.length === 0 ? 0 : pos(current.length - 1) + 1;
      } else if (idx <= 0) {
        position = current.length === 0 ? 0 : pos(0) - 1;
      } else {
        position = (pos(idx - 1) + pos(idx)) / 2;
      }
      await this.#store(key, message, position);
    });
  }

  /** Deletes every message of `key`. */
  deleteMessages(key: string): Promise<void> {
    return this.#run(() => this.#deleteAll(key));
  }

  /**
   * Deletes the message at position `idx` of `key` (`Array.splice(idx, 1)` semantics, like
   * `SimpleChatStore`: a negative `idx` counts from the end; nothing past the end).
   */
  deleteMessage(key: string, idx: number): Promise<void> {
    return this.#run(async () => {
      const current = await this.#load(key);
      const target = current[spliceStart(idx, current.length)];
      if (target) await this.#client.memory.delete({ namespace: this.namespace, id: target.id });
    });
  }

  /** The keys that have at least one message. */
  getKeys(): Promise<IterableIterator<string>> {
    return this.#run(async () => {
      const keys = new Set<string>();
      for (const m of await listAll(this.#client, this.namespace, { chat_key: { $exists: true } })) {
        if (typeof m.metadata.chat_key === "string") keys.add(m.metadata.chat_key);
      }
      return keys.values();
    });
  }

  /** Runs `fn` after every earlier operation of this store. */
  #run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #load(key: string): Promise<Memory[]> {
    const items = await listAll(this.#client, this.namespace, { chat_key: { $eq: key } });
    // Stable sort: equal positions keep insertion order.
    return items.sort((a, b) => (a.metadata.chat_position as number) - (b.metadata.chat_position as number));
  }

  async #store(key: string, message: ChatMessage<AdditionalMessageOptions>, position: number): Promise<void> {
    // Plain-text content is stored once, as the memory content: long messages are then bounded by
    // Loci's content limit, not by its (smaller) metadata limit.
    const inContent = typeof message.content === "string" && message.content.trim() !== "";
    await this.#client.memory.add({
      namespace: this.namespace,
      content: inContent
        ? (message.content as string)
        : nonBlank(extractText(message.content), `[${message.role}]`),
      metadata: toMetadata({
        chat_key: key,
        chat_position: position,
        chat_message: inContent ? { ...message, content: "" } : message,
        ...(inContent ? { [CONTENT_IN_MEMORY]: true } : {}),
      }),
    });
  }

  async #deleteAll(key: string): Promise<void> {
    await deleteAll(this.#client, this.namespace, { chat_key: { $eq: key } });
  }
}

/** The start index `Array.prototype.splice` uses for `idx` on an array of `length` items. */
function spliceStart(idx: number, length: number): number {
  const i = Math.trunc(idx) || 0;
  return i < 0 ? Math.max(length + i, 0) : Math.min(i, length);
}
