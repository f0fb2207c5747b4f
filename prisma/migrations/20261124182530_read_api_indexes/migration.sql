-- CreateIndex
CREATE INDEX "schedule_runs_task_id_idx" ON "schedule_runs"("task_id");
