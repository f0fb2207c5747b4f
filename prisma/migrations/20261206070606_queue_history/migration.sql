-- AlterTable
ALTER TABLE "metric_buckets" ADD COLUMN     "wait_histogram" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "wait_max" DOUBLE PRECISION,
ADD COLUMN     "wait_sum" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "metric_buckets_hourly" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "task_name" TEXT NOT NULL,
    "queue" TEXT NOT NULL,
    "received" INTEGER NOT NULL DEFAULT 0,
    "started" INTEGER NOT NULL DEFAULT 0,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "retried" INTEGER NOT NULL DEFAULT 0,
    "revoked" INTEGER NOT NULL DEFAULT 0,
    "runtime_sum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "runtime_max" DOUBLE PRECISION,
    "runtime_histogram" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "wait_sum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "wait_max" DOUBLE PRECISION,
    "wait_histogram" INTEGER[] DEFAULT ARRAY[]::INTEGER[],

    CONSTRAINT "metric_buckets_hourly_pkey" PRIMARY KEY ("hour","task_name","queue")
);

-- CreateTable
CREATE TABLE "queue_samples" (
    "minute" TIMESTAMPTZ(0) NOT NULL,
    "cluster" TEXT NOT NULL DEFAULT '',
    "queue" TEXT NOT NULL,
    "ready" INTEGER NOT NULL,
    "delayed" INTEGER NOT NULL,
    "reserved" INTEGER NOT NULL,
    "oldest_age" DOUBLE PRECISION,

    CONSTRAINT "queue_samples_pkey" PRIMARY KEY ("cluster","queue","minute")
);

-- CreateTable
CREATE TABLE "queue_samples_hourly" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "cluster" TEXT NOT NULL DEFAULT '',
    "queue" TEXT NOT NULL,
    "samples" INTEGER NOT NULL,
    "ready_sum" DOUBLE PRECISION NOT NULL,
    "ready_max" INTEGER NOT NULL,
    "delayed_sum" DOUBLE PRECISION NOT NULL,
    "delayed_max" INTEGER NOT NULL,
    "reserved_sum" DOUBLE PRECISION NOT NULL,
    "reserved_max" INTEGER NOT NULL,
    "oldest_age_max" DOUBLE PRECISION,

    CONSTRAINT "queue_samples_hourly_pkey" PRIMARY KEY ("cluster","queue","hour")
);

-- CreateIndex
CREATE INDEX "metric_buckets_hourly_hour_idx" ON "metric_buckets_hourly"("hour");

-- CreateIndex
CREATE INDEX "queue_samples_minute_idx" ON "queue_samples"("minute");

-- CreateIndex
CREATE INDEX "queue_samples_hourly_hour_idx" ON "queue_samples_hourly"("hour");
