/**
 * Read-only queries over a {@link KnowledgeGraph}: neighbours, breadth-first traversal with readable
 * paths, shortest paths, and the proximity scores used by graph-aware search. All walks keep a
 * visited set, so cycles never loop; they run on the in-memory graph without taking any lock.
 *
 * @module
 */
import { bidirectional } from "graphology-shortest-path/unweighted.js";
import type { GraphDirection } from "../graph-types.js";
import type { KnowledgeGraph } from "./graph.js";

/** Which edges a walk follows. */
export interface WalkOptions {
  direction: GraphDirection;
  /** `null` = every edge type. */
  edgeTypes: ReadonlySet<string> | null;
}

/** A step of a walk: an edge, the entity it leads to, and whether it was followed forwards. */
type StepFn = (edge: string, next: string, forward: boolean) => void;

/** Calls `fn` for every edge of `node` that the options allow. */
export function forEachStep(kg: KnowledgeGraph, node: string, opts: WalkOptions, fn: StepFn): void {
  const types = opts.edgeTypes;
  if (opts.direction !== "in") {
    kg.graph.forEachOutEdge(node, (edge, a, _s, target) => {
      if (types === null || types.has(a.edgeType)) fn(edge, target, true);
    });
  }
  if (opts.direction !== "out") {
    kg.graph.forEachInEdge(node, (edge, a, source) => {
      if (types === null || types.has(a.edgeType)) fn(edge, source, false);
    });
  }
}

/** The readable form of one step: ` -type-> Name` or ` <-type- Name`. */
function segment(kg: KnowledgeGraph, edge: string, next: string, forward: boolean): string {
  const type = kg.graph.getEdgeAttribute(edge, "edgeType");
  const name = kg.graph.getNodeAttribute(next, "name");
  return forward ? ` -${type}-> ${name}` : ` <-${type}- ${name}`;
}

/** Neighbours of `key` with the connecting edges (graphology keys), in discovery order. */
export function neighborEdges(kg: KnowledgeGraph, key: string, opts: WalkOptions): Map<string, string[]> {
  const out = new Map<string, string[]>();
  forEachStep(kg, key, opts, (edge, next) => {
    const list = out.get(next) ?? [];
    if (!list.includes(edge)) list.push(edge);
    out.set(next, list);
  });
  return out;
}

/** A traversal by keys (converted to public shapes by the API). */
export interface Traversal {
  nodes: { key: string; depth: number }[];
  edges: string[];
  paths: string[];
  truncated: boolean;
}

/**
 * Breadth-first walk from `start` up to `maxDepth` hops, visiting at most `limit` nodes. Returns the
 * nodes in BFS order with their depth and path, and every allowed edge followed from a node closer
 * than `maxDepth` to a reached node (so an edge closing a cycle is reported, but never re-walked).
 */
export function traverse(
  kg: KnowledgeGraph,
  start: string,
  opts: WalkOptions & { maxDepth: number; limit: number },
): Traversal {
  const depth = new Map<string, number>([[start, 0]]);
  const paths = new Map<string, string>([[start, kg.graph.getNodeAttribute(start, "name")]]);
  const order = [start];
  const edges = new Set<string>();
  let truncated = false;
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    const d = depth.get(node)!;
    if (d >= opts.maxDepth) break; // BFS order: every later node is at least as deep
    forEachStep(kg, node, opts, (edge, next, forward) => {
      if (!depth.has(next)) {
        if (order.length >= opts.limit) {
          truncated = true;
          return;
        }
        depth.set(next, d + 1);
        paths.set(next, paths.get(node)! + segment(kg, edge, next, forward));
        order.push(next);
      }
      edges.add(edge);
    });
  }
  return {
    nodes: order.map((key) => ({ key, depth: depth.get(key)! })),
    edges: [...edges],
    paths: order.map((key) => paths.get(key)!),
    truncated,
  };
}

/** A path by keys: `edges[i]` connects `nodes[i]` and `nodes[i + 1]`. */
export interface KeyPath {
  nodes: string[];
  edges: string[];
}

/**
 * A shortest path (fewest hops) from `from` to `to`, or null. Unrestricted directed walks use
 * graphology-shortest-path's bidirectional BFS; a direction other than `out` or an edge-type filter
 * uses a plain BFS with the same restrictions as {@link traverse}.
 */
export function shortestPath(
  kg: KnowledgeGraph,
  from: string,
  to: string,
  opts: WalkOptions,
): KeyPath | null {
  if (from === to) return { nodes: [from], edges: [] };
  const g = kg.graph;
  if (opts.direction === "out" && opts.edgeTypes === null) {
    const nodes = bidirectional(g, from, to);
    if (!nodes) return null;
    const edges = nodes.slice(1).map((next, i) => {
      // Several edge types may connect the pair: report the alphabetically first, deterministically.
      const keys = g.outEdges(nodes[i]!, next);
      return keys.sort((a, b) =>
        g.getEdgeAttribute(a, "edgeType") < g.getEdgeAttribute(b, "edgeType") ? -1 : 1,
      )[0]!;
    });
    return { nodes, edges };
  }
  const parent = new Map<string, { prev: string; edge: string } | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length && !parent.has(to); i++) {
    const node = queue[i]!;
    forEachStep(kg, node, opts, (edge, next) => {
      if (parent.has(next)) return;
      parent.set(next, { prev: node, edge });
      queue.push(next);
    });
  }
  if (!parent.has(to)) return null;
  const nodes = [to];
  const edges: string[] = [];
  for (let step = parent.get(to); step; step = parent.get(step.prev)) {
    nodes.push(step.prev);
    edges.push(step.edge);
  }
  return { nodes: nodes.reverse(), edges: edges.reverse() };
}

/** The readable chain of a path, as in traversal paths. */
export function chainOf(kg: KnowledgeGraph, path: KeyPath): string {
  let out = kg.graph.getNodeAttribute(path.nodes[0]!, "name");
  path.edges.forEach((edge, i) => {
    const forward = kg.graph.source(edge) === path.nodes[i];
    out += segment(kg, edge, path.nodes[i + 1]!, forward);
  });
  return out;
}

/** Hop distance (both directions, every edge type) from the nearest seed, up to `maxDepth`. */
export function distances(
  kg: KnowledgeGraph,
  seeds: readonly string[],
  maxDepth: number,
): Map<string, number> {
  const dist = new Map<string, number>();
  const queue: string[] = [];
  for (const s of seeds) {
    if (kg.graph.hasNode(s) && !dist.has(s)) {
      dist.set(s, 0);
      queue.push(s);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    const d = dist.get(node)!;
    if (d >= maxDepth) break;
    kg.graph.forEachNeighbor(node, (next) => {
      if (dist.has(next)) return;
      dist.set(next, d + 1);
      queue.push(next);
    });
  }
  return dist;
}

/**
 * Graph scores of memories for a query: the entities named in the query are the seeds (distance 0);
 * a memory linked to entities within `depth` hops scores max over them of 1 / (1 + distance).
 */
export function graphScores(kg: KnowledgeGraph, query: string, depth: number): Map<number, number> {
  const scores = new Map<number, number>();
  const seeds = kg.namedIn(query);
  if (seeds.length === 0) return scores;
  for (const [key, d] of distances(kg, seeds, depth)) {
    const s = 1 / (1 + d);
    for (const seq of kg.memoriesOf(key)) if (s > (scores.get(seq) ?? 0)) scores.set(seq, s);
  }
  return scores;
}
