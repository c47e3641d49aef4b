/**
 * Test helpers shared by the storage tests and conformance cases: a memory record to insert, a namespace to create.
 *
 * @module
 */
import { DEFAULT_NAMESPACE_CONFIG } from "../engine/convert.js";
import type { NewMemoryRecord, StorageDriver } from "./driver.js";

/** What the conformance cases registered by `runStorageDriverSuite` need from the surrounding suite. */
export interface DriverCaseContext {
  driver(): StorageDriver;
  /** Closes the driver and opens a new one over the same location. */
  reopen(): Promise<StorageDriver>;
}

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

/** Creates a namespace with the default configuration. */
export function createNamespace(driver: StorageDriver, name: string): Promise<void> {
  return driver.createNamespace({
    name,
    description: "",
    config: { ...DEFAULT_NAMESPACE_CONFIG },
    createdAt: 1,
    updatedAt: 1,
  });
}
