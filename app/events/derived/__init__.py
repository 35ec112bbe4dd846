"""The tables derived from events, kept by triggers in the writer's own transaction: their SQL,
defined once for the migrations that create them and the imports that fill them in batches."""
