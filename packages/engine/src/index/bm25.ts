/**
 * {@link KeywordIndex} with exact Okapi BM25 ranking over an inverted index of our own
 * ({@link PostingList}: per term, the sorted labels of the documents holding it with their term
 * frequency and length).
 *
 *   idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
 *   bm25(d, q) = Σ_{t∈q} idf(t) · tf(t,d)·(k1 + 1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
 *
 * (k1 = 0.9 and b = 0.4 by default, as in Anserini; chosen on the recall benchmark.) Terms come from
 * {@link tokenize} (stop words dropped, words stemmed).
 *
 * **Top-k without scoring everything** (term-at-a-time MaxScore): query terms are taken rarest first
 * (by an upper bound of their contribution, from the term's highest frequency and the shortest
 * document); a document is scored in full the first time one of its terms is reached, and the walk
 * stops as soon as the bounds of the terms left cannot lift an unseen document above the k-th best
 * score. Documents whose partial score plus those bounds cannot reach it are skipped without being
 * looked up. The result is the exact BM25 top k — every posting of every term counts — while common
 * terms (low IDF) are rarely walked at all. Lookups in the other terms' postings move one forward
 * cursor per term ({@link PostingList.seek}): a walk visits documents in label order.
 *
 * The index replaced flexsearch: flexsearch keeps no term frequencies (BM25 needs them), cannot
 * stop a walk early, and removes a document by scanning every posting list (5 ms a removal at 100k).
 *
 * @module
 */
import { ITEMS_PER_TURN, nextTurn } from "../util/file-chunks.js";
import { TopK } from "../util/top-k.js";
import { Bm25Freeze } from "./bm25-freeze.js";
import { type DocTermState, DocTermTable } from "./doc-terms.js";
import type { KeywordHit, KeywordIndex } from "./keyword-index.js";
import { MAX_LABEL, PostingList } from "./postings.js";
import { type TokenizerOptions, tokenize } from "./tokenize.js";

/** Options of {@link Bm25Index}. */
export interface Bm25IndexOptions {
  /** Term-frequency saturation. @default 0.9 */
  k1?: number;
  /** Length normalisation, in [0, 1]. @default 0.4 */
  b?: number;
  /** How text is split into terms (stemming, stop words). @default {} (see {@link tokenize}) */
  tokenizer?: TokenizerOptions;
}

/**
 * A {@link Bm25Index}'s contents, for snapshots (`bm25-snapshot.ts`): the terms by id, each term's
 * postings, the documents' term lists and the length totals. What the snapshot decoder returns and
 * {@link Bm25Index.restore} takes over; {@link Bm25Index.freeze} gives the same of a live index, to
 * be read while it changes.
 */
export interface Bm25State {
  /** Terms by id (the ids the documents' term lists use). */
  terms: readonly string[];
  /** Per term id: its postings (the first `size` of each array; `labels` ascending). */
  lists: readonly PostingList[];
  docs: DocTermState;
  totalLength: number;
  /** The shortest document length ever indexed (`Infinity` when none). */
  minLength: number;
}

/** A query term with its IDF and the bound of its contribution. */
interface QueryTerm {
  list: PostingList;
  idf: number;
  bound: number;
}

/** BM25 keyword index. */
export class Bm25Index implements KeywordIndex {
  /** Per document: its length and term ids (the ids, to remove it). */
  #docs = new DocTermTable();
  readonly #termIds = new Map<string, number>();
  /** Terms by id, and their postings. */
  #terms: string[] = [];
  #lists: PostingList[] = [];
  #totalLength = 0;
  /** Open {@link freeze}s, told before each change of a posting list. */
  readonly #freezes = new Set<Bm25Freeze>();
  /** A lower bound of the document lengths (the shortest ever indexed, > 0). */
  #minLength = Number.POSITIVE_INFINITY;
  readonly #k1: number;
  readonly #b: number;
  readonly #tokenizer: TokenizerOptions;

  constructor(opts: Bm25IndexOptions = {}) {
    this.#k1 = opts.k1 ?? 0.9;
    this.#b = opts.b ?? 0.4;
    this.#tokenizer = opts.tokenizer ?? {};
  }

  /**
   * An index holding `state` (as a decoded snapshot holds it; its arrays are taken over).
   * The tokenizer options must be those the state was built with. @throws {RangeError} on an
   * inconsistent state
   */
  static async restore(state: Bm25State, opts: Bm25IndexOptions = {}): Promise<Bm25Index> {
    if (state.lists.length !== state.terms.length) throw new RangeError("one posting list per term expected");
    const index = new Bm25Index(opts);
    const terms = state.terms;
    for (let id = 0; id < terms.length; id++) {
      // A million terms take a good part of a second: other work runs in between.
      if (id > 0 && id % ITEMS_PER_TURN === 0) await nextTurn();
      index.#termIds.set(terms[id]!, id);
    }
    if (index.#termIds.size !== terms.length) throw new RangeError("duplicate terms");
    index.#terms = [...terms];
    index.#lists = [...state.lists];
    index.#docs = await DocTermTable.restore(state.docs);
    index.#totalLength = state.totalLength;
    index.#minLength = state.minLength;
    return index;
  }

  /**
   * The index's contents as they stand now, for a snapshot read in steps while the index keeps
   * changing (see `bm25-freeze.ts`: each posting list and document record is kept just before its
   * first change). {@link Bm25Freeze.release} it when done: until then every change checks it.
   */
  freeze(): Bm25Freeze {
    const frozen: Bm25Freeze = new Bm25Freeze({
      terms: this.#terms,
      lists: this.#lists,
      docs: this.#docs.freeze(),
      totalLength: this.#totalLength,
      minLength: this.#minLength,
      release: () => this.#freezes.delete(frozen),
    });
    this.#freezes.add(frozen);
    return frozen;
  }

  /** Tells the open freezes that list `id` is about to get (`label`) or lose (`null`) a posting. */
  #changing(id: number, label: number | null): void {
    const list = this.#lists[id]!;
    const append = label !== null && (list.size === 0 || list.labels[list.size - 1]! < label);
    for (const f of this.#freezes) f.changing(id, list, append);
  }

  /** How this index tokenizes text. */
  get tokenizer(): TokenizerOptions {
    return this.#tokenizer;
  }

  /** Whether a document is indexed. */
  has(label: number): boolean {
    return this.#docs.has(label);
  }

  /** The labels of the indexed documents. */
  labels(): IterableIterator<number> {
    return this.#docs.labels();
  }

  length(label: number): number | undefined {
    return this.#docs.length(label);
  }

  /** The index terms of a text, as this index tokenizes it (also for queries). */
  terms(text: string): string[] {
    return tokenize(text, this.#tokenizer);
  }

  get size(): number {
    return this.#docs.size;
  }

  #avgdl(): number {
    return this.#totalLength / Math.max(1, this.#docs.size) || 1;
  }

  upsert(label: number, text: string): void {
    if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
      throw new RangeError(`keyword index labels are integers in [0, ${MAX_LABEL}], got ${label}`);
    }
    this.remove(label);
    const tokens = this.terms(text);
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const ids: number[] = [];
    for (const [term, tf] of counts) {
      let id = this.#termIds.get(term);
      if (id === undefined) {
        id = this.#lists.length;
        this.#termIds.set(term, id);
        this.#terms.push(term);
        this.#lists.push(new PostingList());
      }
      if (this.#freezes.size > 0) this.#changing(id, label);
      this.#lists[id]!.add(label, tf, tokens.length);
      ids.push(id);
    }
    this.#docs.set(label, tokens.length, ids);
    this.#totalLength += tokens.length;
    if (tokens.length > 0 && tokens.length < this.#minLength) this.#minLength = tokens.length;
  }

  remove(label: number): void {
    const length = this.#docs.length(label);
    if (length === undefined) return;
    for (const id of this.#docs.delete(label)) {
      if (this.#freezes.size > 0) this.#changing(id, null);
      this.#lists[id]!.remove(label);
    }
    this.#totalLength -= length;
  }

  /** Query terms present in the index (duplicates folded), with IDF and contribution bound. */
  #queryTerms(query: string): QueryTerm[] {
    const n = this.#docs.size;
    const k1 = this.#k1;
    const norm = k1 * (1 - this.#b + (this.#b * this.#minLength) / this.#avgdl());
    const seen = new Set<PostingList>();
    const out: QueryTerm[] = [];
    for (const term of this.terms(query)) {
      const id = this.#termIds.get(term);
      const list = id === undefined ? undefined : this.#lists[id]!;
      if (!list || list.size === 0 || seen.has(list)) continue;
      seen.add(list);
      const idf = Math.log(1 + (n - list.size + 0.5) / (list.size + 0.5));
      out.push({ list, idf, bound: (idf * list.maxTf * (k1 + 1)) / (list.maxTf + norm) });
    }
    return out;
  }

  /** One term's contribution for a posting. */
  #part(idf: number, tf: number, length: number, avgdl: number): number {
    const k1 = this.#k1;
    return (idf * tf * (k1 + 1)) / (tf + k1 * (1 - this.#b + (this.#b * length) / avgdl));
  }

  /** Moves term `j`'s cursor to `label`: its posting index, or −1 when the term's list lacks it. */
  #advance(list: PostingList, cursors: Int32Array, j: number, label: number): number {
    const at = list.seek(label, cursors[j]!);
    cursors[j] = at;
    return at < list.size && list.labels[at] === label ? at : -1;
  }

  /**
   * BM25 of each document of `labels` over `terms`, taken in label order so that each term's postings
   * are read with a forward cursor; `visit` gets every document the index holds.
   */
  #scoreEach(
    labels: Iterable<number>,
    terms: readonly QueryTerm[],
    avgdl: number,
    visit: (label: number, score: number) => void,
  ): void {
    const sorted = Uint32Array.from(labels).sort();
    const cursors = new Int32Array(terms.length);
    for (const label of sorted) {
      if (!this.#docs.has(label)) continue;
      let score = 0;
      for (let j = 0; j < terms.length; j++) {
        const { list, idf } = terms[j]!;
        const at = this.#advance(list, cursors, j, label);
        if (at >= 0) score += this.#part(idf, list.tfs[at]!, list.lengths[at]!, avgdl);
      }
      visit(label, score);
    }
  }

  search(query: string, k: number, filter?: (label: number) => boolean): KeywordHit[] {
    const terms = this.#queryTerms(query).sort((a, b) => b.bound - a.bound);
    if (terms.length === 0 || k <= 0) return [];
    const avgdl = this.#avgdl();
    const top = new TopK(k);
    let rest = 0;
    for (const t of terms) rest += t.bound;
    // One cursor per term: a walk visits labels in increasing order, so lookups in the other terms'
    // postings only move forward (PostingList.seek).
    const cursors = new Int32Array(terms.length);
    for (let i = 0; i < terms.length; i++) {
      const { list, idf, bound } = terms[i]!;
      rest -= bound; // the bounds of the terms after this one
      // A document not seen yet holds none of the earlier terms: it scores at most bound + rest.
      if (bound + rest < top.threshold) break;
      cursors.fill(0);
      const { labels, tfs, lengths, size } = list;
      postings: for (let p = 0; p < size; p++) {
        const label = labels[p]!;
        for (let j = 0; j < i; j++)
          if (this.#advance(terms[j]!.list, cursors, j, label) >= 0) continue postings;
        const own = this.#part(idf, tfs[p]!, lengths[p]!, avgdl);
        if (own + rest < top.threshold) continue;
        if (filter && !filter(label)) continue;
        let others = 0;
        for (let j = i + 1; j < terms.length; j++) {
          const other = terms[j]!;
          const at = this.#advance(other.list, cursors, j, label);
          if (at >= 0) others += this.#part(other.idf, other.list.tfs[at]!, other.list.lengths[at]!, avgdl);
        }
        top.push(label, own + others);
      }
    }
    return top.sorted().map(({ label, score }) => ({ label, score }));
  }

  /** Exact BM25 over an explicit candidate set (used for filtered searches over few documents). */
  searchAmong(query: string, k: number, labels: Iterable<number>): KeywordHit[] {
    const terms = this.#queryTerms(query);
    if (terms.length === 0 || k <= 0) return [];
    const avgdl = this.#avgdl();
    const top = new TopK(k);
    this.#scoreEach(labels, terms, avgdl, (label, score) => {
      if (score > 0) top.push(label, score);
    });
    return top.sorted();
  }

  /**
   * BM25 of passages made of several documents (a memory with its neighbours): term frequencies and
   * lengths are summed over the passage's documents; IDF stays per document and the average length
   * is that of a document times the passage's nominal size `span`.
   */
  scorePassages(
    query: string,
    passages: ReadonlyMap<number, readonly number[]>,
    span: number,
  ): Map<number, number> {
    const terms = this.#queryTerms(query);
    const avgdl = this.#avgdl() * Math.max(1, span);
    const out = new Map<number, number>();
    const tf = new Array<number>(terms.length);
    for (const [key, labels] of passages) {
      tf.fill(0);
      let length = 0;
      for (const label of labels) {
        const docLength = this.#docs.length(label);
        if (docLength === undefined) continue;
        length += docLength;
        terms.forEach(({ list }, t) => {
          const at = list.find(label);
          if (at >= 0) tf[t] = tf[t]! + list.tfs[at]!;
        });
      }
      let score = 0;
      terms.forEach(({ idf }, t) => {
        if (tf[t]! > 0) score += this.#part(idf, tf[t]!, length, avgdl);
      });
      out.set(key, score);
    }
    return out;
  }

  score(query: string, labels: Iterable<number>): Map<number, number> {
    const terms = this.#queryTerms(query);
    const avgdl = this.#avgdl();
    const out = new Map<number, number>();
    this.#scoreEach(labels, terms, avgdl, (label, score) => out.set(label, score));
    return out;
  }
}
