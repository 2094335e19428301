-- Reconciliation after a restore (schemas/PROTOCOL.md, section 4a): the id of the last message
-- applied from each sender, told back to it in hello / welcome, so a sender whose database was
-- restored from an older backup finds that its numbering and the receiver's no longer agree.
ALTER TABLE peer_inbox ADD COLUMN last_message_id text;
