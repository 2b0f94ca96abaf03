// Seed 003's performance targets as named threshold sets (`--targets low-load|under-load`): each
// becomes ordinary threshold expressions, so they gate the exit code like any --threshold.

const TARGET_SETS: Record<string, readonly string[]> = {
  /** "Recommended targets (low load, 1-10 concurrent)". */
  "low-load": ["ttfa.mean<1500ms", "ttfa.p95<2500ms", "response_total.mean<5s", "connect.mean<100ms", "success_rate>0.99"],
  /** "Acceptable under load (>20 concurrent)". */
  "under-load": ["ttfa.mean<2500ms", "ttfa.p95<4s", "response_total.mean<8s", "success_rate>0.95"],
};

export const TARGET_SET_NAMES = Object.keys(TARGET_SETS);

export function targetThresholds(name: string): string[] {
  return [...(TARGET_SETS[name] ?? [])];
}
