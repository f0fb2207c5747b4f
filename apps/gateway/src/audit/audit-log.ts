// The audit log: who did what to which target, with which outcome, from where.
// `record` never throws: failing to audit is logged loudly, but it must not turn
// a completed action into an error response.
import type { Logger } from 'pino';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { AuditEntry } from '../api/schemas.js';
import { actorId, actorName, type Principal } from '../auth/principal.js';
import { BIGINT_ID, decodeCursor, pageOf } from '../api/pagination.js';

export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface AuditRecord {
  /** The acting user or token; null for anonymous requests (e.g. a failed login). */
  principal: Principal | null;
  /** Overrides the actor name (a failed login is attributed to the email tried). */
  actor?: string;
  action: string;
  target?: string | null;
  params?: Prisma.InputJsonValue | null;
  outcome: AuditOutcome;
  /** An error code when outcome is not ok. */
  error?: string | null;
  ip?: string | null;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

export class AuditLog {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    try {
      await this.prisma.auditLog.create({
        data: {
          actor: entry.actor ?? actorName(entry.principal),
          actorId: actorId(entry.principal),
          action: entry.action,
          target: entry.target ?? null,
          ...(entry.params === undefined || entry.params === null ? {} : { params: entry.params }),
          outcome: entry.outcome,
          error: entry.error ?? null,
          ip: entry.ip ?? null,
        },
      });
    } catch (error) {
      this.logger.error({ err: error, audit: { action: entry.action, target: entry.target, outcome: entry.outcome } }, 'could not write the audit log');
    }
  }

  async list(filter: AuditFilter): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const where: Prisma.AuditLogWhereInput = {};
    if (filter.actor) where.actor = filter.actor;
    if (filter.action) where.action = filter.action;
    if (filter.since || filter.until) where.at = { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lt: filter.until } : {}) };
    const and: Prisma.AuditLogWhereInput[] = [where];
    if (filter.cursor) {
      const position = decodeCursor(filter.cursor, BIGINT_ID);
      const id = BigInt(position.id);
      and.push({ OR: [{ at: { lt: position.at } }, { at: position.at, id: { lt: id } }] });
    }
    const rows = await this.prisma.auditLog.findMany({
      where: { AND: and },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: filter.limit + 1,
    });
    const page = pageOf(rows, filter.limit, (row) => ({ at: row.at, id: row.id.toString() }));
    return {
      nextCursor: page.nextCursor,
      entries: page.rows.map((row) => ({
        id: row.id.toString(),
        at: row.at.toISOString(),
        actor: row.actor,
        actorId: row.actorId,
        action: row.action,
        target: row.target,
        params: row.params ?? null,
        outcome: row.outcome,
        error: row.error,
        ip: row.ip,
      })),
    };
  }
}
