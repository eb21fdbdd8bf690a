// Whether each monitored UDP/SCTP member is up, from its probe results: `fall` failures in a row
// take it down, `rise` successes in a row bring it back, and a member counts as up until its
// probes say otherwise (as HAProxy starts its servers). Pure.

interface Health {
  up: boolean;
  /** Results in a row that disagree with `up`. */
  streak: number;
}

export class MemberHealthBook {
  readonly #health = new Map<string, Health>();

  /** Records one probe result; true when it changed the member's state. */
  record(key: string, up: boolean, rise: number, fall: number): boolean {
    const health = this.#health.get(key) ?? { up: true, streak: 0 };
    this.#health.set(key, health);
    if (up === health.up) {
      health.streak = 0;
      return false;
    }
    health.streak += 1;
    if (health.streak < (up ? rise : fall)) return false;
    health.up = up;
    health.streak = 0;
    return true;
  }

  isDown(key: string): boolean {
    return this.#health.get(key)?.up === false;
  }

  /** Forgets members no longer monitored (removed, or their monitor gone). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#health.keys()) if (!keys.has(key)) this.#health.delete(key);
  }
}
