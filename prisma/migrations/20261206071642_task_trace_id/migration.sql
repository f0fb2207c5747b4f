-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "trace_id" TEXT;
