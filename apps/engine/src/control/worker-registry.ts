// The worker registry port: live workers as their last heartbeat described
// them. `control/` reads it (app.control.workers(), broadcast's expected reply
// count) and workers write it; implementations live in src/adapters/*.

/** A live worker as its last heartbeat described it. */
export interface WorkerRecord {
  hostname: string;
  /** Epoch ms of the last heartbeat. */
  lastHeartbeat: number;
  /** Epoch ms after which the worker counts as offline. */
  expiresAt: number;
  /** The JSON-encoded heartbeat (see WorkerHeartbeat in src/events). */
  info: string;
}

export interface WorkerRegistry {
  heartbeat(hostname: string, info: string, ttlMs: number): Promise<void>;
  remove(hostname: string): Promise<void>;
  /** Workers whose heartbeat has not expired, sorted by hostname. */
  list(): Promise<WorkerRecord[]>;
}
