/** Time source for the scheduler (epoch milliseconds). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to (tests). */
export class FakeClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
  set(time: number): void {
    this.#now = time;
  }
}
