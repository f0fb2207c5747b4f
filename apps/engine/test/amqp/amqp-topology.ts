// Test helpers for the amqp adapter: the shared RabbitMQ's URL, and the
// cleanup that deletes every queue and exchange one test prefix declared.
import { connect } from 'amqplib';
import { DELAY_LEVELS, controlExchange, deadQueue, eventStream, groupQueue, groupRegistryQueue, delayExchange, delayQueue, deliverExchange, readyQueue, registryQueue } from '../../src/adapters/amqp/topology.js';

export const amqpUrl = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The names the adapter builds from an app prefix ('lovage:' → 'lovage'). */
export const amqpNames = (prefix: string): string => prefix.replace(/:+$/, '') || 'lovage';

/** Deletes the queues (from the prefix's registry) and exchanges of one app prefix. */
export async function deleteAmqpPrefix(prefix: string, url = amqpUrl): Promise<void> {
  const names = amqpNames(prefix);
  const model = await connect(url);
  try {
    const ch = await model.createChannel();
    await ch.assertQueue(registryQueue(names), { durable: true });
    const queues = new Set<string>();
    for (let m = await ch.get(registryQueue(names), { noAck: true }); m !== false; m = await ch.get(registryQueue(names), { noAck: true })) {
      queues.add(m.content.toString());
    }
    for (const queue of queues) {
      await ch.deleteQueue(readyQueue(names, queue));
      await ch.deleteQueue(deadQueue(names, queue));
      for (let level = 0; level < DELAY_LEVELS; level++) await ch.deleteQueue(delayQueue(names, queue, level));
    }
    await ch.deleteQueue(registryQueue(names));
    await ch.assertQueue(groupRegistryQueue(names), { durable: true });
    for (let m = await ch.get(groupRegistryQueue(names), { noAck: true }); m !== false; m = await ch.get(groupRegistryQueue(names), { noAck: true })) {
      await ch.deleteQueue(groupQueue(names, m.content.toString()));
    }
    await ch.deleteQueue(groupRegistryQueue(names));
    await ch.deleteQueue(eventStream(names));
    for (let level = 0; level < DELAY_LEVELS; level++) await ch.deleteExchange(delayExchange(names, level));
    await ch.deleteExchange(deliverExchange(names));
    await ch.deleteExchange(controlExchange(names));
  } finally {
    await model.close();
  }
}
