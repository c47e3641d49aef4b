/**
 * The change-log shape of knowledge-graph edges, shared by every driver so that events read the same
 * whatever the storage.
 *
 * @module
 */
import type { Metadata } from "../types.js";
import type { EdgeRecord, EdgeUpsert } from "./driver.js";

/** The change-log id of an edge: `<source key> -<type>-> <target key>`. */
export const edgeId = (sourceKey: string, edgeType: string, targetKey: string): string =>
  `${sourceKey} -${edgeType}-> ${targetKey}`;

/** An edge endpoint in a change: the entity, or only its key when the entity is unknown. */
export type EndpointRef = { type: string; name: string } | { key: string };

const refOf = (e: EndpointRef): Metadata => ("type" in e ? { type: e.type, name: e.name } : { key: e.key });

/** The payload of an `edge.*` change: the endpoints as `{type, name}`, the edge type and its metadata. */
export function edgeChange(
  source: EndpointRef,
  target: EndpointRef,
  edgeType: string,
  metadata: Metadata,
): Metadata {
  return { source: refOf(source), target: refOf(target), edgeType, metadata };
}

/** The record of an edge an upsert creates (import timestamps kept when given). */
export function newEdgeRecord(sourceKey: string, targetKey: string, u: EdgeUpsert, at: number): EdgeRecord {
  return {
    sourceKey,
    targetKey,
    edgeType: u.edgeType,
    metadata: u.metadata,
    createdAt: u.createdAt ?? at,
    updatedAt: u.updatedAt ?? u.createdAt ?? at,
  };
}
