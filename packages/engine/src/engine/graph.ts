/**
 * The in-memory knowledge graph of one namespace: a graphology `MultiDirectedGraph` (node key =
 * entity key; one edge per source, target and edge type), a word index of entity names (to find the
 * entities a search query names without building regular expressions from input), and the
 * memory ↔ entity links. It is derived state: built from the database on first use and updated by
 * each committed write (see {@link NamespaceRuntime.graph}).
 *
 * @module
 */
import { MultiDirectedGraph } from "graphology";
import type { Attributes } from "graphology-types";
import type { Entity, EntityRef, GraphEdge } from "../graph-types.js";
import type { EdgeRecord, EntityRecord, GraphData } from "../storage/driver.js";
import type { Metadata } from "../types.js";
import { isoTime as iso } from "../util/iso-time.js";
import { copyJson } from "./convert.js";
import { foldName, words } from "./graph-model.js";

/** Attributes of a node. */
export type NodeAttrs = {
  type: string;
  name: string;
  properties: Metadata;
  createdAt: number;
  updatedAt: number;
};

/** Attributes of an edge. */
export type EdgeAttrs = {
  edgeType: string;
  metadata: Metadata;
  createdAt: number;
  updatedAt: number;
};

/** A namespace's knowledge graph in memory. */
export class KnowledgeGraph {
  /** The graph. Mutate it only through this class, so the indexes stay in step. */
  readonly graph: MultiDirectedGraph<NodeAttrs, EdgeAttrs, Attributes> = new MultiDirectedGraph({
    allowSelfLoops: true,
  });
  /** First word of a folded name → entity keys with that first word. */
  readonly #byFirstWord = new Map<string, Set<string>>();
  readonly #words = new Map<string, string[]>();
  readonly #memories = new Map<string, Set<number>>();
  readonly #links = new Map<number, string[]>();

  /** Builds the graph from a full load. */
  static build(data: GraphData): KnowledgeGraph {
    const kg = new KnowledgeGraph();
    for (const e of data.entities) kg.putEntity(e);
    for (const e of data.edges) kg.putEdge(e);
    const bySeq = new Map<number, string[]>();
    for (const [seq, key] of data.links) {
      const list = bySeq.get(seq) ?? [];
      list.push(key);
      bySeq.set(seq, list);
    }
    for (const [seq, keys] of bySeq) kg.link(seq, keys);
    return kg;
  }

  /** The graphology key of an edge. Names hold no control characters, so `\0` separates safely. */
  static edgeKey(sourceKey: string, edgeType: string, targetKey: string): string {
    return `${sourceKey}\u0000${edgeType}\u0000${targetKey}`;
  }

  /** Adds an entity or replaces its attributes. */
  putEntity(rec: EntityRecord): void {
    const attrs: NodeAttrs = {
      type: rec.type,
      name: rec.name,
      properties: rec.properties,
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
    };
    if (this.graph.hasNode(rec.key)) {
      this.graph.replaceNodeAttributes(rec.key, attrs);
      return;
    }
    this.graph.addNode(rec.key, attrs);
    const ws = words(foldName(rec.name));
    if (ws.length === 0) return;
    this.#words.set(rec.key, ws);
    const set = this.#byFirstWord.get(ws[0]!) ?? new Set<string>();
    set.add(rec.key);
    this.#byFirstWord.set(ws[0]!, set);
  }

  /** Adds an edge or replaces its attributes (its endpoints must exist). */
  putEdge(rec: EdgeRecord): void {
    const key = KnowledgeGraph.edgeKey(rec.sourceKey, rec.edgeType, rec.targetKey);
    const attrs: EdgeAttrs = {
      edgeType: rec.edgeType,
      metadata: rec.metadata,
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
    };
    if (this.graph.hasEdge(key)) this.graph.replaceEdgeAttributes(key, attrs);
    else this.graph.addEdgeWithKey(key, rec.sourceKey, rec.targetKey, attrs);
  }

  /** Drops an edge if present. */
  dropEdge(sourceKey: string, edgeType: string, targetKey: string): void {
    const key = KnowledgeGraph.edgeKey(sourceKey, edgeType, targetKey);
    if (this.graph.hasEdge(key)) this.graph.dropEdge(key);
  }

  /** Drops an entity with its edges and memory links. */
  dropEntity(key: string): void {
    if (this.graph.hasNode(key)) this.graph.dropNode(key);
    const ws = this.#words.get(key);
    if (ws) this.#byFirstWord.get(ws[0]!)?.delete(key);
    this.#words.delete(key);
    for (const seq of this.#memories.get(key) ?? []) {
      const rest = this.#links.get(seq)?.filter((k) => k !== key) ?? [];
      if (rest.length > 0) this.#links.set(seq, rest);
      else this.#links.delete(seq);
    }
    this.#memories.delete(key);
  }

  /** Links a memory to entities (idempotent). */
  link(seq: number, keys: readonly string[]): void {
    const current = this.#links.get(seq) ?? [];
    for (const key of keys) {
      if (current.includes(key)) continue;
      current.push(key);
      const set = this.#memories.get(key) ?? new Set<number>();
      set.add(seq);
      this.#memories.set(key, set);
    }
    if (current.length > 0) this.#links.set(seq, current);
  }

  /** Forgets a deleted memory's links. */
  unlink(seq: number): void {
    for (const key of this.#links.get(seq) ?? []) this.#memories.get(key)?.delete(seq);
    this.#links.delete(seq);
  }

  /** Memories linked to an entity. */
  memoriesOf(key: string): ReadonlySet<number> {
    return this.#memories.get(key) ?? new Set();
  }

  /** Number of memory → entity links. */
  get linkCount(): number {
    let n = 0;
    for (const keys of this.#links.values()) n += keys.length;
    return n;
  }

  /**
   * Entities whose folded name occurs in the folded text as a whole-word phrase. Each query word is
   * looked up in the first-word index, so the cost grows with the query, not with the graph.
   */
  namedIn(text: string): string[] {
    const qs = words(foldName(text));
    const found = new Set<string>();
    for (let i = 0; i < qs.length; i++) {
      for (const key of this.#byFirstWord.get(qs[i]!) ?? []) {
        const ws = this.#words.get(key)!;
        if (i + ws.length > qs.length) continue;
        let match = true;
        for (let j = 1; j < ws.length && match; j++) match = ws[j] === qs[i + j];
        if (match) found.add(key);
      }
    }
    return [...found];
  }

  /** The public reference of an entity. */
  ref(key: string): EntityRef {
    const a = this.graph.getNodeAttributes(key);
    return { type: a.type, name: a.name };
  }

  /** The caller's own copy of an entity's properties (the graph's own object is never handed out). */
  properties(key: string): Metadata {
    return copyJson(this.graph.getNodeAttribute(key, "properties"));
  }

  /** The public form of an entity (with its own copy of the properties). */
  entity(key: string): Entity {
    const a = this.graph.getNodeAttributes(key);
    return {
      type: a.type,
      name: a.name,
      properties: copyJson(a.properties),
      createdAt: iso(a.createdAt),
      updatedAt: iso(a.updatedAt),
    };
  }

  /** The public form of an edge (by graphology key), with its own copy of the metadata. */
  edge(key: string): GraphEdge {
    const a = this.graph.getEdgeAttributes(key);
    return {
      source: this.ref(this.graph.source(key)),
      target: this.ref(this.graph.target(key)),
      edgeType: a.edgeType,
      metadata: copyJson(a.metadata),
      createdAt: iso(a.createdAt),
      updatedAt: iso(a.updatedAt),
    };
  }
}
