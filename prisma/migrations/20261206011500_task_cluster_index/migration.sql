-- The task list's cluster filter (`cluster=<name>`, or `cluster=lovage` for Lovage's own tasks,
-- whose cluster is null) walks this index in the list's order, as the other filters do theirs.
CREATE INDEX "tasks_cluster_created_at_id_idx" ON "tasks"("cluster", "created_at" DESC, "id");
