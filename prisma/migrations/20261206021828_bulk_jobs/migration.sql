-- Bulk retry/revoke jobs move from one gateway's memory to the database, so every replica answers GET /jobs.
-- CreateTable
CREATE TABLE "bulk_jobs" (
    "id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "state" TEXT NOT NULL,
    "body" JSONB NOT NULL,

    CONSTRAINT "bulk_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "bulk_jobs_created_at_idx" ON "bulk_jobs"("created_at" DESC);
