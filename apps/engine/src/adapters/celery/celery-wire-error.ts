// The one error the Celery wire codec throws. A worker that reads a message it
// cannot use dead-letters it with `reason` (stable, for metrics and filters) and
// `message` (for a person); `path` names the field at fault, e.g.
// `properties.delivery_info`, so the dead letter says what to fix.
//
// Values a producer cannot send (a function, a Buffer to kombu 5.2) are refused
// with the engine's SerializationError instead, as everywhere else in Lovage.
import { LovageError } from '../../errors.js';

export type CeleryWireReason =
  /** The payload, body or a JSON field is not JSON. */
  | 'BAD_JSON'
  /** A body marked `body_encoding: base64` is not base64. */
  | 'BAD_BASE64'
  /** The content type is one Lovage cannot read (pickle, msgpack, yaml) or the content is compressed. */
  | 'UNSUPPORTED_CONTENT'
  /** A required part of the envelope or message is absent. */
  | 'MISSING_FIELD'
  /** A part is there but has the wrong shape or type. */
  | 'BAD_FIELD'
  /** A kombu `{"__type__": …}` tag names a type kombu does not define, or its value is malformed. */
  | 'BAD_TYPE_TAG';

export class CeleryWireError extends LovageError {
  readonly reason: CeleryWireReason;
  /** Where in the message the problem is: `headers.task`, `body[1]`, `properties.delivery_info`… */
  readonly path: string;
  constructor(reason: CeleryWireReason, path: string, message: string, options?: ErrorOptions) {
    super('CELERY_WIRE', `${path}: ${message}`, options);
    this.reason = reason;
    this.path = path;
  }
}
