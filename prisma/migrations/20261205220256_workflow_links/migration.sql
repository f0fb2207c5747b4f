-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "chord_group_id" TEXT,
ADD COLUMN     "group_index" INTEGER;

-- CreateIndex
CREATE INDEX "tasks_chord_group_id_idx" ON "tasks"("chord_group_id");
