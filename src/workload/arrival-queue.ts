// Arrivals of the open model waiting for a concurrency slot (--queue-when-full), oldest first. A
// stalled target can leave millions of them waiting over a long run (an hour at 1,000 arrivals/s
// against a target that holds every slot), so each is three numbers in a growable ring of doubles,
// 24 bytes, instead of a pending promise chain (about 700 bytes, measured: the run would run out of
// heap and lose its report).

export interface QueuedArrival {
  /** The arrival's client index. */
  client: number;
  /** When it was meant to start (monotonic ms): latency counts from here. */
  intendedAt: number;
  /** When the schedule gave it out (monotonic ms): the achieved arrival rate. */
  takenAt: number;
}

const FIELDS = 3;
const INITIAL_CAPACITY = 64;

export class ArrivalQueue {
  private ring = new Float64Array(FIELDS * INITIAL_CAPACITY);
  /** Record index of the oldest arrival. */
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(client: number, intendedAt: number, takenAt: number): void {
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const at = FIELDS * ((this.head + this.count) % this.capacity);
    this.ring[at] = client;
    this.ring[at + 1] = intendedAt;
    this.ring[at + 2] = takenAt;
    this.count++;
  }

  /** The oldest arrival, taken off the queue; undefined when none waits. */
  shift(): QueuedArrival | undefined {
    if (this.count === 0) return undefined;
    const at = FIELDS * this.head;
    const arrival = { client: this.ring[at]!, intendedAt: this.ring[at + 1]!, takenAt: this.ring[at + 2]! };
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    // A drained backlog gives its memory back rather than holding its peak for the rest of the run.
    if (this.capacity > INITIAL_CAPACITY && this.count <= this.capacity / 4) this.resize(this.capacity / 2);
    return arrival;
  }

  private get capacity(): number {
    return this.ring.length / FIELDS;
  }

  /** Copy the queue, oldest first, into a ring of `capacity` records (at least the queue's size). */
  private resize(capacity: number): void {
    const next = new Float64Array(FIELDS * capacity);
    const firstPart = Math.min(this.count, this.capacity - this.head);
    next.set(this.ring.subarray(FIELDS * this.head, FIELDS * (this.head + firstPart)), 0);
    next.set(this.ring.subarray(0, FIELDS * (this.count - firstPart)), FIELDS * firstPart);
    this.ring = next;
    this.head = 0;
  }
}
