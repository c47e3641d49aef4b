/**
 * Test helper shared by the SQLite driver's tests: a memory record to insert.
 *
 * @module
 */
import type { NewMemoryRecord } from "./driver.js";

/** A memory to insert (content = id, a 2-d vector), with `over` applied. */
export function newRecord(id: string, over: Partial<NewMemoryRecord> = {}): NewMemoryRecord {
  return {
    id,
    content: id,
    metadata: {},
    sessionId: null,
    agentId: null,
    importance: 0.5,
    createdAt: 1,
    updatedAt: 1,
    lastAccessedAt: 1,
    accessCount: 0,
    expiresAt: null,
    embedding: Float32Array.from([1, 0]),
    ...over,
  };
}
