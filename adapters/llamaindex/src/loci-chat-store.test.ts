import type { ChatMessage } from "@llamaindex/core/llms";
import { SimpleChatStore } from "@llamaindex/core/storage/chat-store";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociChatStore } from "./loci-chat-store.js";

const msg = (content: string): ChatMessage => ({ role: "user", content });
const texts = (ms: ChatMessage[]) => ms.map((m) => m.content);

describe("LociChatStore indexes like LlamaIndex's SimpleChatStore (Array.splice)", () => {
  let env: TempEngine;
  beforeEach(async () => {
    env = await openTempEngine();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const both = async (op: (s: LociChatStore | SimpleChatStore) => unknown) => {
    const loci = new LociChatStore({ client: env.loci, namespace: "chats" });
    const ref = new SimpleChatStore();
    for (const s of [loci, ref]) {
      await s.setMessages("k", [msg("a"), msg("b"), msg("c")]);
      await op(s);
    }
    return { loci: texts(await loci.getMessages("k")), ref: texts(await ref.getMessages("k")) };
  };

  it.each([-1, -2, -10, 1, 5])("deleteMessage at index %i", async (idx) => {
    const { loci, ref } = await both((s) => s.deleteMessage("k", idx));
    expect(loci).toEqual(ref);
  });

  it.each([-1, -3, -10, 0, 2, 3, 9])("addMessage at index %i", async (idx) => {
    const { loci, ref } = await both((s) => s.addMessage("k", msg("new"), idx));
    expect(loci).toEqual(ref);
  });
});

describe("LociChatStore message size", () => {
  it("stores a message longer than Loci's metadata limit (64 KiB) verbatim", async () => {
    const env = await openTempEngine();
    try {
      const store = new LociChatStore({ client: env.loci, namespace: "chats" });
      const long = ` ${"cell,".repeat(14_000)} `;
      await store.addMessage("k", { role: "assistant", content: long, options: { tag: 1 } } as ChatMessage);
      const [back] = await store.getMessages("k");
      expect(back).toEqual({ role: "assistant", content: long, options: { tag: 1 } });
    } finally {
      await env.cleanup();
    }
  });
});
