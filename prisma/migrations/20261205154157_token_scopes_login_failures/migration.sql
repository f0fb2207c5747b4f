-- CreateEnum
CREATE TYPE "token_scope" AS ENUM ('read', 'tasks', 'workers', 'schedules', 'admin');

-- AlterTable
ALTER TABLE "api_tokens" ADD COLUMN     "scopes" "token_scope"[] DEFAULT ARRAY['read']::"token_scope"[];

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "password_generated" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "login_failures" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "login_failures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "login_failures_key_at_idx" ON "login_failures"("key", "at");

-- CreateIndex
CREATE INDEX "login_failures_at_idx" ON "login_failures"("at");

-- Tokens made before scopes existed keep what their role allowed.
UPDATE "api_tokens" SET "scopes" = CASE "role"
    WHEN 'admin' THEN ARRAY['read', 'tasks', 'workers', 'schedules', 'admin']::"token_scope"[]
    WHEN 'operator' THEN ARRAY['read', 'tasks', 'workers', 'schedules']::"token_scope"[]
    ELSE ARRAY['read']::"token_scope"[]
END;
