-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "cluster" TEXT;

-- AlterTable
ALTER TABLE "workers" ADD COLUMN     "cluster" TEXT;
