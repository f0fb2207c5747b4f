-- The detail page lists every re-run of a task (retried_from_id = its id).
CREATE INDEX "tasks_retried_from_id_idx" ON "tasks"("retried_from_id");
