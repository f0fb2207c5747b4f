-- Written by hand: Prisma's schema cannot express extended statistics, and
-- `node scripts/db.mjs diff` does not see them (it reports no changes).
-- A task name usually goes to one queue, and names, queues and states are
-- correlated. Without these statistics the planner multiplies the filters'
-- selectivities, expects matches all along one index, and walks that index to
-- its end for a combination (name=a&queue=b) that has none: 120 ms at 1M tasks
-- instead of 20 ms through a BitmapAnd of the two indexes.
CREATE STATISTICS "tasks_name_queue_state_stats" (mcv) ON "name", "queue", "state" FROM "tasks";
