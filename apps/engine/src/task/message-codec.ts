// How a task message travels: the engine's TaskMessage (task/message.ts) turned
// into the body a broker carries, and a delivered body turned back. The app
// encodes with it when it publishes, the worker decodes every delivery with it
// and the settle pipeline encodes a retry with it, so nothing above the codec
// knows which wire format is spoken. One codec per protocol: Lovage's own
// (below) and Celery's (adapters/celery/celery-message-codec.ts), chosen with
// the adapter in adapters/create-adapter.ts.
import { parseMessage, type TaskMessage } from './message.js';

export type DecodeResult = { ok: true; message: TaskMessage } | { ok: false; reason: string };

export interface MessageCodec {
  /** The body a broker carries for `message`. Values the format cannot carry throw SerializationError. */
  encode(message: TaskMessage): string;
  /** The message in a delivered body, or why it cannot run (the worker dead-letters it with that reason). */
  decode(body: string): DecodeResult;
}

/** Lovage's own format: the TaskMessage as JSON. */
export const lovageCodec: MessageCodec = {
  encode: (message) => JSON.stringify(message),
  decode: parseMessage,
};
