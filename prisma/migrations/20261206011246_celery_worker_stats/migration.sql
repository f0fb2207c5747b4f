-- AlterTable
ALTER TABLE "workers" ADD COLUMN     "max_concurrency" INTEGER,
ADD COLUMN     "prefetch_count" INTEGER,
ADD COLUMN     "stats_at" TIMESTAMPTZ(3);
