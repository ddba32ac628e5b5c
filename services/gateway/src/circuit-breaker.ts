/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call, in ms. Default 10 s. */
  openMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** closed: calls flow; open: calls are refused at once; half-open: one trial call decides. */
export type CircuitState = "closed" | "open" | "half-open";

/**
 * A circuit breaker for the reasoning service: after repeated failures (errors or deadlines) the
 * gateway stops waiting on it and falls back at once, then lets one trial call through after a
 * pause, so a slow or dead reasoning tier never blocks a partition.
 */
export interface CircuitBreaker {
  /** True when a call may be made now (in half-open, only one trial at a time). */
  allow(): boolean;
  success(): void;
  failure(): void;
  state(): CircuitState;
}

/** Creates a circuit breaker. */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const openMs = options.openMs ?? 10_000;
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | null = null;
  let trialInFlight = false;
  const state = (): CircuitState => {
    if (openedAt === null) return "closed";
    return now() - openedAt >= openMs ? "half-open" : "open";
  };
  return {
    state,
    allow() {
      const s = state();
      if (s === "closed") return true;
      if (s === "open" || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    success() {
      failures = 0;
      openedAt = null;
      trialInFlight = false;
    },
    failure() {
      failures++;
      if (trialInFlight || failures >= threshold) openedAt = now();
      trialInFlight = false;
    },
  };
}
