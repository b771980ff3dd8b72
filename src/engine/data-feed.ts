/**
 * Rows of a data file handed to virtual users (scenario.data). Each load thread has its own feed per source and
 * never asks anyone else for a row: `unique` splits the rows by a fixed stride over every thread of every
 * generator (the k-th row thread t of generator g takes is `g + G * (t + T * k)`), so no row is handed out twice
 * in a run without any coordination on the hot path.
 */
import type { DataCounters } from './metrics';

/** A data file's rows as the engine gets them: the header's columns, and each row's values in that order. */
export interface DataTable {
  columns: string[];
  rows: string[][];
}

/** A data source as a load thread runs it. */
export interface DataSourceRun {
  table: DataTable;
  mode: 'sequential' | 'random' | 'unique';
  onExhausted: 'stop' | 'wrap';
}

/** Where a load thread sits among every thread of a run: its generator (slice) and its thread in it. */
export interface FeedPosition {
  slice: number;
  slices: number;
  thread: number;
  threads: number;
}

/** The next row index of a source, for one thread; undefined when a unique source is exhausted (stop). */
export class DataFeed {
  private k = 0;
  /** Session keys per column: `source.column`. */
  readonly keys: string[];
  private readonly stride: number;
  private readonly first: number;

  constructor(
    readonly name: string,
    private readonly source: DataSourceRun,
    private readonly at: FeedPosition,
    private readonly counters: () => DataCounters,
  ) {
    this.keys = source.table.columns.map((c) => `${name}.${c}`);
    this.stride = at.slices * at.threads;
    const n = source.table.rows.length;
    // sequential: each thread starts at its own share of the file, then walks every row in order.
    this.first =
      source.mode === 'unique'
        ? at.slice + at.slices * at.thread
        : Math.floor(((at.slice * at.threads + at.thread) * n) / this.stride);
  }

  /** The row index the next iteration takes (counted), or undefined when none is left for it. */
  nextIndex(random: () => number): number | undefined {
    const n = this.source.table.rows.length;
    const c = this.counters();
    if (this.source.mode === 'random') {
      c.rowsUsed += 1;
      return Math.floor(random() * n);
    }
    if (this.source.mode === 'sequential') {
      const i = (this.first + this.k++) % n;
      if (this.k > 1 && i === this.first) c.wrapped += 1;
      c.rowsUsed += 1;
      return i;
    }
    // unique: slice + slices * (thread + threads * k)
    let i = this.first + this.stride * this.k;
    if (i >= n) {
      if (this.source.onExhausted === 'stop' || this.first >= n) {
        c.exhausted += 1;
        return undefined;
      }
      this.k = 0;
      c.wrapped += 1;
      i = this.first;
    }
    this.k += 1;
    c.rowsUsed += 1;
    return i;
  }

  /** Puts the next row's values into a session as `source.column`; false when none is left (the user stops). */
  fill(session: Record<string, string | number>, random: () => number): boolean {
    const i = this.nextIndex(random);
    if (i === undefined) return false;
    const row = this.source.table.rows[i]!;
    for (let j = 0; j < this.keys.length; j++) session[this.keys[j]!] = row[j] ?? '';
    return true;
  }
}
