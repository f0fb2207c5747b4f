-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "task_state" AS ENUM ('PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED');

-- CreateEnum
CREATE TYPE "attempt_outcome" AS ENUM ('RUNNING', 'SUCCESS', 'RETRY', 'FAILURE', 'REVOKED', 'LOST');

-- CreateEnum
CREATE TYPE "role" AS ENUM ('viewer', 'operator', 'admin');

-- CreateEnum
CREATE TYPE "audit_outcome" AS ENUM ('ok', 'denied', 'failed');

-- CreateTable
-- Edited by hand: "search_vector" is a generated column (Prisma cannot express the expression).
CREATE TABLE "tasks" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" "task_state" NOT NULL DEFAULT 'PENDING',
    "args" JSONB NOT NULL DEFAULT '[]',
    "kwargs" JSONB,
    "result_preview" TEXT,
    "error_name" TEXT,
    "error_message" TEXT,
    "error_stack" TEXT,
    "queue" TEXT NOT NULL DEFAULT 'default',
    "worker" TEXT,
    "priority" INTEGER,
    "eta" TIMESTAMPTZ(3),
    "expires" TIMESTAMPTZ(3),
    "retries" INTEGER NOT NULL DEFAULT 0,
    "parent_id" TEXT,
    "root_id" TEXT,
    "group_id" TEXT,
    "retried_from_id" TEXT,
    "retried_into_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "succeeded_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "retried_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "rejected_at" TIMESTAMPTZ(3),
    "runtime" DOUBLE PRECISION,
    "search_vector" tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig,
        "name" || ' ' || COALESCE("args"::text, '') || ' ' || COALESCE("kwargs"::text, '') || ' ' ||
        COALESCE("result_preview", '') || ' ' || COALESCE("error_name", '') || ' ' || COALESCE("error_message", ''))) STORED,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "task_attempts" (
    "id" BIGSERIAL NOT NULL,
    "task_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "worker" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "outcome" "attempt_outcome" NOT NULL DEFAULT 'RUNNING',
    "error_name" TEXT,
    "error_message" TEXT,
    "error_stack" TEXT,
    "next_retry_at" TIMESTAMPTZ(3),
    "runtime" DOUBLE PRECISION,

    CONSTRAINT "task_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workers" (
    "hostname" TEXT NOT NULL,
    "pid" INTEGER,
    "version" TEXT,
    "queues" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "pool_kind" TEXT,
    "pool_size" INTEGER,
    "first_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_heartbeat" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "online" BOOLEAN NOT NULL DEFAULT true,
    "active" INTEGER NOT NULL DEFAULT 0,
    "processed" BIGINT NOT NULL DEFAULT 0,
    "succeeded" BIGINT NOT NULL DEFAULT 0,
    "failed" BIGINT NOT NULL DEFAULT 0,
    "loadavg" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[],
    "memory_rss" BIGINT,

    CONSTRAINT "workers_pkey" PRIMARY KEY ("hostname")
);

-- CreateTable
CREATE TABLE "worker_heartbeats" (
    "id" BIGSERIAL NOT NULL,
    "hostname" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "active" INTEGER NOT NULL DEFAULT 0,
    "processed" BIGINT NOT NULL DEFAULT 0,
    "loadavg" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[],
    "memory_rss" BIGINT,

    CONSTRAINT "worker_heartbeats_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schedule_runs" (
    "id" BIGSERIAL NOT NULL,
    "schedule_name" TEXT NOT NULL,
    "task_id" TEXT,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "fired_at" TIMESTAMPTZ(3),

    CONSTRAINT "schedule_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schedule_changes" (
    "id" BIGSERIAL NOT NULL,
    "schedule_name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedule_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "role" NOT NULL DEFAULT 'viewer',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "role" "role" NOT NULL DEFAULT 'viewer',
    "user_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "user_agent" TEXT,
    "ip" TEXT,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "params" JSONB,
    "outcome" "audit_outcome" NOT NULL,
    "error" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_buckets" (
    "minute" TIMESTAMPTZ(0) NOT NULL,
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
    "runtime_p50" DOUBLE PRECISION,
    "runtime_p95" DOUBLE PRECISION,
    "runtime_p99" DOUBLE PRECISION,
    "runtime_histogram" INTEGER[] DEFAULT ARRAY[]::INTEGER[],

    CONSTRAINT "metric_buckets_pkey" PRIMARY KEY ("minute","task_name","queue")
);

-- CreateTable
CREATE TABLE "ingest_cursors" (
    "stream" TEXT NOT NULL,
    "last_event_id" TEXT NOT NULL,
    "events_applied" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ingest_cursors_pkey" PRIMARY KEY ("stream")
);

-- CreateIndex
CREATE INDEX "tasks_state_created_at_id_idx" ON "tasks"("state", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "tasks_name_created_at_id_idx" ON "tasks"("name", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "tasks_worker_created_at_id_idx" ON "tasks"("worker", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "tasks_queue_created_at_id_idx" ON "tasks"("queue", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "tasks_created_at_id_idx" ON "tasks"("created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "tasks_root_id_idx" ON "tasks"("root_id");

-- CreateIndex
CREATE INDEX "tasks_parent_id_idx" ON "tasks"("parent_id");

-- CreateIndex
CREATE INDEX "tasks_group_id_idx" ON "tasks"("group_id");

-- CreateIndex
CREATE INDEX "tasks_search_vector_idx" ON "tasks" USING GIN ("search_vector");

-- CreateIndex
CREATE INDEX "task_attempts_worker_started_at_idx" ON "task_attempts"("worker", "started_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "task_attempts_task_id_attempt_key" ON "task_attempts"("task_id", "attempt");

-- CreateIndex
CREATE INDEX "workers_online_last_heartbeat_idx" ON "workers"("online", "last_heartbeat" DESC);

-- CreateIndex
CREATE INDEX "worker_heartbeats_at_idx" ON "worker_heartbeats"("at");

-- CreateIndex
CREATE UNIQUE INDEX "worker_heartbeats_hostname_at_key" ON "worker_heartbeats"("hostname", "at");

-- CreateIndex
CREATE INDEX "schedule_runs_due_at_idx" ON "schedule_runs"("due_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "schedule_runs_schedule_name_due_at_key" ON "schedule_runs"("schedule_name", "due_at");

-- CreateIndex
CREATE INDEX "schedule_changes_schedule_name_at_idx" ON "schedule_changes"("schedule_name", "at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- CreateIndex
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at" DESC);

-- CreateIndex
CREATE INDEX "audit_log_actor_at_idx" ON "audit_log"("actor", "at" DESC);

-- CreateIndex
CREATE INDEX "audit_log_action_at_idx" ON "audit_log"("action", "at" DESC);

-- CreateIndex
CREATE INDEX "metric_buckets_task_name_minute_idx" ON "metric_buckets"("task_name", "minute" DESC);

-- AddForeignKey
ALTER TABLE "task_attempts" ADD CONSTRAINT "task_attempts_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "worker_heartbeats" ADD CONSTRAINT "worker_heartbeats_hostname_fkey" FOREIGN KEY ("hostname") REFERENCES "workers"("hostname") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
