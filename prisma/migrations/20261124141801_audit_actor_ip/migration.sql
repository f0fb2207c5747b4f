-- AlterTable
ALTER TABLE "audit_log" ADD COLUMN     "actor_id" TEXT,
ADD COLUMN     "ip" TEXT;
