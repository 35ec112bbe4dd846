"""The timeline: matching events counted per year, month or day."""
