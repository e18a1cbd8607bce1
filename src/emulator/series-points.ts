type Json = Record<string, unknown>;

/** A point as the emulator's state file keeps it. */
export interface StoredPoint {
  step: number;
  point: Json;
}

/**
 * One time series' data points as columns: a scalar point is its step, value and wall time in
 * arrays rather than objects (a series may hold millions; objects cost memory and garbage
 * collection). Other points (tensors, blobs, steps beyond 2^53) are kept as their objects.
 * Writes append; a step written again replaces the earlier point when the points are next read
 * (the last write wins), or when rewrites have doubled the columns.
 */
export class SeriesPoints {
  private steps = new Float64Array(64);
  private values = new Float64Array(64);
  /** Canonical wall times; the points of one write share one string. */
  private walls: string[] = [];
  /** Points kept as objects (canonical), by slot. */
  private objects = new Map<number, Json>();
  private n = 0;
  /** Slots are in increasing step order, one a step. */
  private ordered = true;
  private compactedSize = 0;

  /** A scalar point; `step` a safe integer, `wallTime` canonical (as canonicalize makes them). */
  addScalar(step: number, value: number, wallTime: string): void {
    const slot = this.slot(step);
    this.values[slot] = value;
    this.walls[slot] = wallTime;
  }

  /** A point kept as it is (canonical); `step` is its step as a number. */
  addObject(step: number, point: Json): void {
    this.objects.set(this.slot(step), point);
  }

  private slot(step: number): number {
    if (this.n === this.steps.length) {
      if (!this.ordered && this.n >= 2 * this.compactedSize + 1024) this.compact();
      if (this.n === this.steps.length) this.grow();
    }
    const n = this.n++;
    if (n > 0 && step <= this.steps[n - 1]) this.ordered = false;
    this.steps[n] = step;
    return n;
  }

  private grow(): void {
    const steps = new Float64Array(this.steps.length * 2);
    steps.set(this.steps);
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.steps = steps;
    this.values = values;
  }

  /** Sorts by step and keeps each step's last point. */
  private compact(): void {
    if (this.ordered) return;
    const n = this.n;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Later slots first within a step: the last write is the one kept.
    order.sort((a, b) => this.steps[a] - this.steps[b] || b - a);
    const steps = new Float64Array(this.steps.length);
    const values = new Float64Array(this.values.length);
    const walls: string[] = [];
    const objects = new Map<number, Json>();
    let m = 0;
    for (let j = 0; j < n; j++) {
      const i = order[j];
      if (m > 0 && steps[m - 1] === this.steps[i]) continue;
      steps[m] = this.steps[i];
      values[m] = this.values[i];
      walls[m] = this.walls[i];
      const object = this.objects.get(i);
      if (object) objects.set(m, object);
      m++;
    }
    this.steps = steps;
    this.values = values;
    this.walls = walls;
    this.objects = objects;
    this.n = m;
    this.ordered = true;
    this.compactedSize = m;
  }

  /** How many points (one a step). */
  get size(): number {
    this.compact();
    return this.n;
  }

  /** The i-th point by step (0 ≤ i < size), as the API gives it. */
  point(i: number): Json {
    this.compact();
    const object = this.objects.get(i);
    if (object) return object;
    const point: Json = {};
    const step = this.steps[i];
    if (step !== 0) point.step = String(step);
    const value = this.values[i];
    point.scalar = value ? { value } : {};
    if (this.walls[i] !== '') point.wallTime = this.walls[i];
    return point;
  }

  /** Every point by step. */
  points(): Json[] {
    const n = this.size;
    const out = new Array<Json>(n);
    for (let i = 0; i < n; i++) out[i] = this.point(i);
    return out;
  }

  /** The points as a snapshot keeps them. */
  stored(): StoredPoint[] {
    const n = this.size;
    return Array.from({ length: n }, (_, i) => ({ step: this.steps[i], point: this.point(i) }));
  }
}
