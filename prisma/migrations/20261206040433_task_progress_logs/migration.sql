-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "progress" DOUBLE PRECISION,
ADD COLUMN     "progress_at" TIMESTAMPTZ(3),
ADD COLUMN     "progress_meta" JSONB;

-- CreateTable
CREATE TABLE "task_logs" (
    "id" BIGSERIAL NOT NULL,
    "task_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "fields" JSONB,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,

    CONSTRAINT "task_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "task_logs_task_id_at_id_idx" ON "task_logs"("task_id", "at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "task_logs_event_key" ON "task_logs"("task_id", "hostname", "pid", "seq", "at");

-- AddForeignKey
ALTER TABLE "task_logs" ADD CONSTRAINT "task_logs_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
