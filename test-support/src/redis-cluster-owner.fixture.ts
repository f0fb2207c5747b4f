// Starts a private cluster, prints its directory and server pids, and waits to
// be killed (redis-cluster.test.ts checks that the servers die with it).
import { startRedisCluster } from './redis-cluster.js';

const cluster = await startRedisCluster();
process.stdout.write(`${JSON.stringify({ dir: cluster.dir, pids: cluster.nodes.map((n) => n.pid) })}\n`);
setInterval(() => undefined, 60_000);
