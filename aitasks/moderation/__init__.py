"""Content moderation, apart from speech: its pipeline (fetch → sample frames → score them),
frame sampling, the scoring backends of each category, and where a finished scan is stored.

- `pipeline`: one task's scan (run_moderation), stop objects and thresholds;
- `frames`: frames of the first video track, sampled at a rate that scales with the duration;
- `backends`: the models behind one small interface, one per category (AITASKS_MODERATION_BACKENDS);
- `store`: the flagged frames' thumbnails saved with the task's SUCCESS, in one transaction.
"""
