"""Jobs: runs of background work (sync, reconcile, post, notify), their progress and errors."""
