-- Crash-safe alert notifications (issue #20): a pending event records which gateway's claim covers its delivery until when, so another gateway redelivers it once that lapses.
-- AlterTable
ALTER TABLE "alert_events" ADD COLUMN     "claimed_until" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "alert_events_delivery_claimed_until_idx" ON "alert_events"("delivery", "claimed_until");
