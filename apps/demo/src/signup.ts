// The demo's "web" code paths: what a request handler would run. Each writes
// rows in a transaction and dispatches its task only once the rows are visible.
import { enqueueInTransaction, onCommit } from '@lovage/engine/prisma';
import { callPaymentApi, sendWelcomeEmail } from './app.js';
import type { DemoPrisma } from './store.js';

/** Sign-up: the welcome email is sent after COMMIT, and never for a rolled-back user. */
export async function signUp(prisma: DemoPrisma, data: { email: string; name: string }): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.create({ data });
    onCommit(tx, () => sendWelcomeEmail.delay(user.id));
    return user.id;
  });
}

/**
 * Sign-up with the transactional outbox: the message is written in the same
 * transaction and the relay (started by main.ts) publishes it, so even a crash
 * right after COMMIT cannot lose the email.
 */
export async function signUpDurably(prisma: DemoPrisma, data: { email: string; name: string }): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.create({ data });
    await enqueueInTransaction(tx, sendWelcomeEmail, [user.id]);
    return user.id;
  });
}

/** Checkout: the order row commits, then the payment is attempted (with retries) in the background. */
export async function placeOrder(prisma: DemoPrisma, userId: number, amountCents: number): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const order = await tx.order.create({ data: { userId, amountCents } });
    onCommit(tx, () => callPaymentApi.delay(order.id));
    return order.id;
  });
}
