// The control bus port: a broadcast channel every worker listens to
// (revocations, remote-control requests, schedule-change notices) and
// per-request reply lists the caller drains. `control/` uses it (and the
// schedule stores, for change notices); implementations live in src/adapters/*.

/** A message on the broadcast channel. */
export interface ControlMessage {
  type: string;
  [key: string]: unknown;
}

/** A reply to a control request, as sent by one worker. */
export interface ControlReplyEnvelope {
  hostname: string;
  /** JSON-encoded reply. */
  reply: string;
}

export interface ControlBus {
  publish(message: ControlMessage): Promise<void>;
  /** Listens to every broadcast message; resolves with the function that stops listening. */
  subscribe(listener: (message: ControlMessage) => void): Promise<() => Promise<void>>;
  sendReply(replyTo: string, reply: ControlReplyEnvelope): Promise<void>;
  /** Collects replies until `timeoutMs` passes or `expected` replies arrived. */
  collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]>;
}
